#!/usr/bin/env bash
# vae_dist on this machine (or the hosts of a hostfile) under mpirun, with sensible settings:
#   launch/vae_run.sh [-n RANKS] [-t THREADS] [--hostfile FILE] [--oversubscribe] [--] [vae_dist flags…]
# Defaults: one rank per GPU when there are GPUs, else one rank per core with one thread each.
# Ranks × threads must fit the cores unless --oversubscribe is given (then each rank still gets a
# thread, and the run is slower than with fewer ranks). A SIGTERM or Ctrl-C to this script reaches
# every rank as SIGUSR1: they stop at the next step with a checkpoint and exit 75 (resumable),
# which is this script's status too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vae_dist=$(command -v vae_dist || echo "$here/../build/src/vae_dist")

ranks="" threads=1 hostfile="" oversubscribe=0
while (($#)); do
  case $1 in
    -n) ranks=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    --hostfile) hostfile=$2; shift 2 ;;
    --oversubscribe) oversubscribe=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done

cores=$(nproc)
gpus=0
command -v nvidia-smi >/dev/null && gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
if [[ -z $ranks ]]; then
  if ((gpus > 0)); then ranks=$gpus; else ranks=$((cores / threads > 0 ? cores / threads : 1)); fi
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
export NCCL_DEBUG=${NCCL_DEBUG:-WARN}
# - NCCL_ASYNC_ERROR_HANDLING=1: a rank whose peer died fails its collective instead of hanging.
export NCCL_ASYNC_ERROR_HANDLING=${NCCL_ASYNC_ERROR_HANDLING:-1}
source "$here/vae_env.sh"  # Open MPI as root; ~/.local/bin on PATH

launch=(mpirun -n "$ranks" -x OMP_WAIT_POLICY -x NCCL_DEBUG -x NCCL_ASYNC_ERROR_HANDLING)
# With a hostfile: mpirun notices a host that stopped answering after 10 + 3 × 5 s of TCP
# keepalive (Open MPI's default is about 8 minutes) and ends the job; the ranks' own
# --collective-timeout names the ranks they lost.
[[ -n $hostfile ]] && launch+=(--hostfile "$hostfile" --mca oob_tcp_keepalive_time 10 --mca oob_tcp_keepalive_intvl 5
                              --mca oob_tcp_keepalive_probes 3)
if ((oversubscribe)); then
  launch+=(--oversubscribe --bind-to none)   # bound ranks would share cores: let the kernel place them
else
  launch+=(--map-by "slot:PE=$threads" --bind-to core)  # each rank pinned to its own $threads cores
fi

# mpirun forwards SIGUSR1 to every rank; its own SIGTERM handling gives ranks one second, so a
# SIGTERM or SIGINT for this script is turned into SIGUSR1 for mpirun.
"${launch[@]}" "$vae_dist" --threads "$threads" "$@" &
job=$!
trap 'kill -USR1 "$job" 2>/dev/null' TERM INT USR1
while true; do
  wait "$job" && exit 0
  status=$?
  kill -0 "$job" 2>/dev/null || exit "$status"  # a trapped signal interrupts wait: wait again
done
