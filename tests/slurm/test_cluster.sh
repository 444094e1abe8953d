# Sourced by the Slurm tests: a one-node Slurm cluster on this machine, started as root with a
# configuration of its own in a temporary folder (no cgroups, its own ports), and stopped again
# by the PIDs it started. Needs Debian's slurm-wlm and munge (launch/install_deps.sh).
#   start_test_cluster DIR   → exports SLURM_CONF; returns 77 (skip) when it cannot start
#   stop_test_cluster DIR
readonly SKIP=77
source "$(dirname "${BASH_SOURCE[0]}")/slurm_conf.sh"

start_test_cluster() {
  local dir=$1 host
  host=$(hostname -s)
  if [[ $(id -u) -ne 0 ]]; then echo "SKIPPED: a test Slurm cluster needs root"; return $SKIP; fi
  for daemon in munged slurmctld slurmd sbatch; do
    command -v "$daemon" >/dev/null || { echo "SKIPPED: $daemon is not installed (launch/install_deps.sh installs slurm-wlm and munge)"; return $SKIP; }
  done
  mkdir -p "$dir/state" "$dir/spool"
  if ! munge -n >/dev/null 2>&1; then  # no munged yet: start one, remembered for stop_test_cluster
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge
    # --force: a socket left by a munged that is gone is taken over.
    runuser -u munge -- /usr/sbin/munged --force || { echo "SKIPPED: munged does not start"; return $SKIP; }
    cp /run/munge/munged.pid "$dir/munged.pid"  # ours to stop
  fi
  local base=$((20000 + RANDOM % 20000))
  {
    echo "ClusterName=vaetest"
    echo "SlurmctldHost=$host"
    slurm_conf_common "$dir" "$base"
    cat <<CONF
SlurmdSpoolDir=$dir/spool
SlurmdPidFile=$dir/slurmd.pid
SlurmdLogFile=$dir/slurmd.log
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  } >"$dir/slurm.conf"
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -i || { echo "SKIPPED: slurmctld does not start (see $dir/slurmctld.log)"; return $SKIP; }
  slurmd || { echo "SKIPPED: slurmd does not start (see $dir/slurmd.log)"; return $SKIP; }
  for _ in $(seq 60); do
    sinfo -h -o %T 2>/dev/null | grep -q idle && return 0
    sleep 0.5
  done
  echo "SKIPPED: the node never became idle: $(sinfo 2>&1 | tail -1)"
  return $SKIP
}

stop_test_cluster() {
  local dir=$1 pid_file
  for pid_file in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    [[ -s $pid_file ]] && kill "$(cat "$pid_file")" 2>/dev/null
  done
  sleep 1
}
