# Sourced by the sbatch templates of this folder. `run_preemptible CMD…` runs the job step CMD
# (srun or mpirun with vae_dist) so that a preempted or time-limited job finishes by itself:
# - Slurm's warning signal (`#SBATCH --signal=B:USR1@120`: SIGUSR1 to this batch shell 120 s
#   before the time limit), a `scancel --signal=USR1 --batch`, or a SIGTERM reaching this shell
#   is passed on to the step as SIGUSR1; vae_dist checkpoints the step it is at and exits 75;
# - when a node dies, Slurm requeues the job itself (--requeue) and sends the survivors SIGTERM:
#   they save the last step every rank completed and exit 75 (Slurm refuses the SIGUSR1 then);
# - on exit status 75 the job is put back in the queue (`scontrol requeue`, needs --requeue),
#   and its next start resumes at that step (the templates always pass --resume auto).
# Any other status ends the job with that status.

# The launcher of the job step: `srun --mpi=pmix` by default, `mpirun` with VAE_LAUNCHER=mpirun.
# Given RANKS_PER_NODE, it starts that many ranks on each node of this start of the job;
# otherwise as many as the job asked for (--ntasks-per-node).
vae_launcher() {
  local per_node=${1:-} total
  [[ -n $per_node ]] && total=$((SLURM_JOB_NUM_NODES * per_node))
  if [[ ${VAE_LAUNCHER:-srun} == mpirun ]]; then
    echo mpirun ${per_node:+-n $total --map-by ppr:$per_node:node}
  else
    echo srun --mpi=pmix ${per_node:+--ntasks=$total --ntasks-per-node=$per_node}
  fi
}

run_preemptible() {
  "$@" &
  local step=$! status
  trap 'echo "$(date +%T) slurm: stop requested (preemption, time limit or a node failure); vae_dist checkpoints its step and exits 75"; kill -USR1 '"$step"' 2>/dev/null' USR1 TERM
  while true; do
    wait "$step" && { status=0; break; }
    status=$?
    kill -0 "$step" 2>/dev/null || break  # a trapped signal interrupts wait; the step goes on
  done
  trap - USR1 TERM
  if ((status == 75)); then
    echo "$(date +%T) slurm: stopped at a checkpoint; requeueing job $SLURM_JOB_ID (restart ${SLURM_RESTART_COUNT:-0})"
    scontrol requeue "$SLURM_JOB_ID"
  fi
  return "$status"
}
