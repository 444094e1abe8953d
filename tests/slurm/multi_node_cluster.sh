# Sourced by the multi-node Slurm tests: a Slurm cluster of N nodes on this machine, each node a
# network-namespace host of tests/multihost/hosts.sh (10.77.0.I, host name vaehostI) running its
# own slurmd; slurmctld runs in the switch namespace (10.77.0.254 on the bridge, host name vaectl);
# a munged of its own serves them all (its socket is a file: no network). Configuration, state,
# spools and logs live in DIR (per node: DIR/slurmd-vaehostI.log, DIR/spool-vaehostI,
# DIR/tmp-vaehostI). No cgroups, its own ports; the root namespace's network is never touched.
# Needs root, Debian's slurm-wlm and munge (launch/install_deps.sh).
#   start_multi_node_cluster N DIR → exports SLURM_CONF; returns 77 (skip) when it cannot start
#   in_cluster CMD...   → runs CMD (sbatch, squeue, scontrol, sinfo, scancel…) where slurmctld is
#                         reachable; the root namespace cannot reach it
#   node_name I         → vaehostI, the Slurm name of node I
#   kill_host I         → node I dies (hosts.sh): its link goes down, every process on it
#                         (slurmd, slurmstepd, tasks, orted…) is killed
#   stop_multi_node_cluster DIR
# Knobs (environment, read by start_multi_node_cluster): MULTI_NODE_SLURMD_TIMEOUT (5 s) and
# MULTI_NODE_MESSAGE_TIMEOUT (3 s): a dead node is DOWN ~10 s after it dies (slurmctld pings every
# SlurmdTimeout/3 s, but not before the last ping ended, which takes MessageTimeout+1 s for a dead
# node); MULTI_NODE_KILL_WAIT (10 s: SIGTERM to SIGKILL of the survivors); MULTI_NODE_CRED_EXPIRE
# (Slurm's 120 s: how long a requeued job is held; tests release it with
# `scontrol update jobid=… StartTime=now`, since after the hold only the next scheduler pass, up
# to ~30 s later, starts it); SLURM_TEST_DEBUG (daemon log level, info).
multi_node_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
declare -F start_hosts >/dev/null || source "$multi_node_here/../multihost/hosts.sh"  # sets SKIP too
source "$multi_node_here/slurm_conf.sh"
[[ -v SKIP ]] || readonly SKIP=77
readonly MULTI_NODE_CTL_ADDR=$HOSTS_SUBNET.254
multi_node_dir=""
multi_node_munge=""

node_name() { echo "vaehost$1"; }

# host_run, without the fresh /sys that `ip netns exec` mounts: there /sys/fs/cgroup is empty and
# slurmd stops ("Unable to initialize cgroup plugin", even with proctrack/linuxproc, task/none).
multi_node_on_host() {
  local i=$1
  shift
  nsenter --net="/run/netns/${hosts_tag}h$i" unshare --uts bash -c 'hostname "vaehost$0"; exec "$@"' "$i" "$@"
}

in_cluster() { ip netns exec "${hosts_tag}sw" env SLURM_CONF="$multi_node_dir/slurm.conf" "$@"; }

# SIGKILL for every process left in namespace NS of the hosts (hN, or sw for the switch).
multi_node_kill_ns() {
  local pids
  pids=$(ip netns pids "${hosts_tag}$1" 2>/dev/null)
  [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
  return 0
}

stop_multi_node_cluster() {
  local dir=$1 i
  for ((i = 1; i <= hosts_count; i++)); do
    [[ -s $dir/slurmd-$(node_name "$i").pid ]] && kill "$(cat "$dir/slurmd-$(node_name "$i").pid")" 2>/dev/null
  done
  [[ -s $dir/slurmctld.pid ]] && kill "$(cat "$dir/slurmctld.pid")" 2>/dev/null
  sleep 1
  for ((i = 1; i <= hosts_count; i++)); do multi_node_kill_ns "h$i"; done  # steps and tasks left
  multi_node_kill_ns sw
  if [[ -n $multi_node_munge && -s $multi_node_munge/munged.pid ]]; then
    kill "$(cat "$multi_node_munge/munged.pid")" 2>/dev/null
    sleep 0.2
  fi
  [[ -n $multi_node_munge ]] && rm -rf "$multi_node_munge"
  multi_node_munge=""
  stop_hosts
}

start_multi_node_cluster() {
  local n=$1 dir=$2 i daemon status
  multi_node_dir=$dir
  if [[ $(id -u) -ne 0 ]]; then echo "SKIPPED: a test Slurm cluster needs root"; return $SKIP; fi
  for daemon in munged slurmctld slurmd sbatch ip unshare nsenter; do
    command -v "$daemon" >/dev/null || { echo "SKIPPED: $daemon is not installed (launch/install_deps.sh installs slurm-wlm and munge)"; return $SKIP; }
  done
  mkdir -p "$dir/state" || return 1
  start_hosts "$n" "$dir" || return $?
  in_switch ip addr add "$MULTI_NODE_CTL_ADDR/24" dev br0 && in_switch ip link set lo up ||
    { stop_hosts; echo "SKIPPED: no address for slurmctld on the bridge"; return $SKIP; }
  # A munged of its own (socket, PID, log and seed in a folder of its own; the system's key):
  # neither a munged of the one-node tests nor the system's is started, stopped or needed.
  multi_node_munge=/run/vae_munge_$hosts_tag
  install -d -o munge -g munge -m 0755 "$multi_node_munge" &&
    runuser -u munge -- /usr/sbin/munged --force --socket="$multi_node_munge/munge.socket" --pid-file="$multi_node_munge/munged.pid" \
      --log-file="$multi_node_munge/munged.log" --seed-file="$multi_node_munge/munged.seed" &&
    munge -n --socket="$multi_node_munge/munge.socket" >/dev/null ||
    { stop_multi_node_cluster "$dir"; echo "SKIPPED: munged does not start (/etc/munge/munge.key?)"; return $SKIP; }
  local base=$((20000 + RANDOM % 20000)) log_level=${SLURM_TEST_DEBUG:-info}
  local auth_info="AuthInfo=socket=$multi_node_munge/munge.socket"
  [[ -n ${MULTI_NODE_CRED_EXPIRE:-} ]] && auth_info+=",cred_expire=$MULTI_NODE_CRED_EXPIRE"
  {
    echo "ClusterName=vaemulti"
    echo "SlurmctldHost=vaectl($MULTI_NODE_CTL_ADDR)"
    slurm_conf_common "$dir" "$base"
    cat <<CONF
$auth_info
SlurmdTimeout=${MULTI_NODE_SLURMD_TIMEOUT:-5}
KillWait=${MULTI_NODE_KILL_WAIT:-10}
MessageTimeout=${MULTI_NODE_MESSAGE_TIMEOUT:-3}
SlurmctldDebug=$log_level
SlurmdDebug=$log_level
SlurmdSpoolDir=$dir/spool-%n
TmpFS=$dir/tmp-%n
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmdLogFile=$dir/slurmd-%n.log
CONF
  } >"$dir/slurm.conf"
  for ((i = 1; i <= n; i++)); do
    echo "NodeName=$(node_name "$i") NodeAddr=$HOSTS_SUBNET.$i CPUs=$(nproc) State=UNKNOWN" >>"$dir/slurm.conf"
  done
  echo "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP" >>"$dir/slurm.conf"
  export SLURM_CONF=$dir/slurm.conf
  # slurmctld only starts on a host named as SlurmctldHost: a UTS namespace of its own.
  in_switch unshare --uts bash -c 'hostname vaectl; exec slurmctld -i' ||
    { echo "SKIPPED: slurmctld does not start (see $dir/slurmctld.log)"; stop_multi_node_cluster "$dir"; return $SKIP; }
  for ((i = 1; i <= n; i++)); do  # slurmd finds its NodeName from the host name of its namespace
    mkdir -p "$dir/spool-$(node_name "$i")" "$dir/tmp-$(node_name "$i")"
    multi_node_on_host "$i" slurmd ||
      { echo "SKIPPED: slurmd does not start on $(node_name "$i") (see $dir/slurmd-$(node_name "$i").log)"; stop_multi_node_cluster "$dir"; return $SKIP; }
  done
  for _ in $(seq 60); do
    [[ $(in_cluster sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l) == "$n" ]] && return 0
    sleep 0.5
  done
  echo "SKIPPED: the $n nodes never became idle: $(in_cluster sinfo -N 2>&1 | tail -n +2 | tr '\n' ';')"
  stop_multi_node_cluster "$dir"
  return $SKIP
}
