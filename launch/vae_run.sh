#!/usr/bin/env bash
# vae_dist on this machine (or the hosts of a hostfile) under mpirun, with sensible settings:
#   launch/vae_run.sh [-n RANKS] [-t THREADS] [--hostfile FILE] [--oversubscribe] [--max-restarts N] [--] [vae_dist flags…]
# Defaults: one rank per GPU when there are GPUs, else one rank per core with one thread each;
# with a hostfile, one rank per slot of its hosts. Ranks × threads must fit the cores unless
# --oversubscribe is given (then each rank still gets a thread, and the run is slower than with
# fewer ranks). A SIGTERM or Ctrl-C to this script reaches every rank as SIGUSR1: they stop at the
# next step with a checkpoint and exit 75 (resumable), which is this script's status too.
#
# --max-restarts N: when the job fails (a host died, a rank crashed; not a stop this script passed
# on, and not exit status 2, bad flags), the hosts of the hostfile that still answer are found
# through the agent mpirun reaches them with (ssh, or OMPI_MCA_plm_rsh_agent when set), and the
# job runs again on them with --resume auto, at most N times: from the checkpoint the survivors
# wrote of the last step every rank completed (docs/clusters.md, "When a node dies"). The ranks
# shrink with the hosts (slots of the hosts left); the global batch and sample order stay.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vae_dist=${VAE_DIST:-$(command -v vae_dist || echo "$here/../build/src/vae_dist")}  # VAE_DIST: another build

ranks="" threads=1 hostfile="" oversubscribe=0 max_restarts=0
while (($#)); do
  case $1 in
    -n) ranks=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    --hostfile) hostfile=$2; shift 2 ;;
    --oversubscribe) oversubscribe=1; shift ;;
    --max-restarts) max_restarts=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[[ $max_restarts =~ ^[0-9]+$ ]] || { echo "vae_run: --max-restarts takes a whole number (got '$max_restarts')" >&2; exit 2; }
[[ -z $hostfile || -r $hostfile ]] || { echo "vae_run: cannot read the hostfile $hostfile" >&2; exit 2; }

# The hosts of a hostfile with their slots ("host slots" per line; a line without slots= counts one).
hosts_and_slots() {
  awk '!/^[[:space:]]*(#|$)/ { slots = 1; for (i = 2; i <= NF; i++) if ($i ~ /^slots=/) { sub(/^slots=/, "", $i); slots = $i } print $1, slots }' "$1"
}
total_slots() { hosts_and_slots "$1" | awk '{ n += $2 } END { print n + 0 }'; }

cores=$(nproc)
gpus=0
command -v nvidia-smi >/dev/null && gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
if [[ -z $ranks ]]; then
  if [[ -n $hostfile ]]; then ranks=$(total_slots "$hostfile")
  elif ((gpus > 0)); then ranks=$gpus
  else ranks=$((cores / threads > 0 ? cores / threads : 1)); fi
fi
if [[ -z $hostfile ]] && ((ranks * threads > cores && !oversubscribe)); then
  echo "vae_run: $ranks ranks × $threads threads need $((ranks * threads)) cores, this machine has $cores:" \
       "use fewer ranks (-n), fewer threads (-t), or --oversubscribe" >&2
  exit 2
fi

# The environment every rank gets (mpirun passes on what -x names):
# - OMP_WAIT_POLICY=PASSIVE: LibTorch's OpenMP threads sleep instead of spinning while they wait;
#   with any other load on the node, spinning threads made a run several times slower.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
# - NCCL_DEBUG=WARN: NCCL says why it fails (a missing network, a duplicate GPU) and is quiet otherwise.
#   (A dead peer needs no NCCL setting: vae_dist polls NCCL's errors and times its waits itself.)
export NCCL_DEBUG=${NCCL_DEBUG:-WARN}
# - VAE_RESTART: "k of N" in a restarted job's configuration table.
export VAE_RESTART=""
source "$here/vae_env.sh"  # Open MPI as root; ~/.local/bin on PATH

base=(-x OMP_WAIT_POLICY -x NCCL_DEBUG -x VAE_RESTART)
# With a hostfile: mpirun notices a host that stopped answering after 10 + 3 × 5 s of TCP
# keepalive (Open MPI's default is about 8 minutes) and ends the job; the ranks' own
# --collective-timeout names the ranks they lost.
[[ -n $hostfile ]] && base+=(--mca oob_tcp_keepalive_time 10 --mca oob_tcp_keepalive_intvl 5 --mca oob_tcp_keepalive_probes 3)
if ((oversubscribe)); then
  base+=(--oversubscribe --bind-to none)   # bound ranks would share cores: let the kernel place them
else
  base+=(--map-by "slot:PE=$threads" --bind-to core)  # each rank pinned to its own $threads cores
fi

# mpirun forwards SIGUSR1 to every rank; its own SIGTERM handling gives ranks one second, so a
# SIGTERM or SIGINT for this script is turned into SIGUSR1 for mpirun. Returns mpirun's status.
stopped=0
run_job() {  # RANKS HOSTFILE FLAGS…
  local n=$1 file=$2 job status
  shift 2
  local launch=(mpirun -n "$n" "${base[@]}")
  [[ -n $file ]] && launch+=(--hostfile "$file")
  "${launch[@]}" "$vae_dist" --threads "$threads" "$@" &
  job=$!
  trap 'stopped=1; kill -USR1 '"$job"' 2>/dev/null' TERM INT USR1
  while true; do
    wait "$job" && status=0 && break
    status=$?
    kill -0 "$job" 2>/dev/null || break  # a trapped signal interrupts wait: wait again
  done
  trap - TERM INT USR1
  return "$status"
}

# The hosts of FILE that answer through mpirun's agent, written to OUT in FILE's form.
answering_hosts() {  # FILE OUT
  local agent=${OMPI_MCA_plm_rsh_agent:-ssh} host slots
  agent=${agent%%:*}  # Open MPI takes a list ("ssh : rsh"); the first is the one it tries first
  local probe=($agent)
  [[ ${probe[0]} == ssh ]] && probe+=(-o BatchMode=yes -o ConnectTimeout=5)
  : >"$2"
  while read -r host slots; do
    if timeout 15 "${probe[@]}" "$host" true </dev/null >/dev/null 2>&1; then
      echo "$host slots=$slots" >>"$2"
    else
      echo "vae_run: $host does not answer ($agent); leaving it out" >&2
    fi
  done < <(hosts_and_slots "$1")
}

# A restart resumes the run: --resume auto in place of any --resume the first start had.
resume_flags=()
skip=0
for flag in "$@"; do
  if ((skip)); then skip=0; continue; fi
  case $flag in
    --resume) skip=1 ;;
    --resume=*) ;;
    *) resume_flags+=("$flag") ;;
  esac
done
resume_flags+=(--resume auto)

status=0
run_job "$ranks" "$hostfile" "$@" || status=$?
for ((restart = 1; restart <= max_restarts; restart++)); do
  ((status != 0 && status != 2 && !stopped)) || break
  n=$ranks file=$hostfile
  if [[ -n $hostfile ]]; then
    file=$(mktemp "${TMPDIR:-/tmp}/vae_run_hosts.XXXXXX")
    answering_hosts "$hostfile" "$file"
    left=$(total_slots "$file")
    ((left > 0)) || { echo "vae_run: no host of $hostfile answers; giving up" >&2; break; }
    n=$((ranks * left / $(total_slots "$hostfile")))
    ((n > 0)) || n=1
  fi
  hosts_left=$([[ -n $file ]] && hosts_and_slots "$file" | wc -l || echo 1)
  echo "vae_run: the job failed (exit status $status); restart $restart of $max_restarts on $hosts_left host(s), $n rank(s), with --resume auto" >&2
  export VAE_RESTART="$restart of $max_restarts"
  status=0
  run_job "$n" "$file" "${resume_flags[@]}" || status=$?
  [[ $file != "$hostfile" ]] && rm -f "$file"
done
exit "$status"
