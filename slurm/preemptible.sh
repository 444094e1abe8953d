# Sourced by the sbatch templates of this folder. `run_preemptible CMD…` runs the job step CMD
# (srun or mpirun with vae_dist) so that a preempted or time-limited job finishes by itself:
# - Slurm's warning signal (`#SBATCH --signal=B:USR1@120`: SIGUSR1 to this batch shell 120 s
#   before the time limit), a `scancel --signal=USR1 --batch`, or a SIGTERM reaching this shell
#   is passed on to the step as SIGUSR1; vae_dist checkpoints the step it is at and exits 75;
# - on exit status 75 the job is put back in the queue (`scontrol requeue`, needs --requeue),
#   and its next start resumes at that step (the templates always pass --resume auto).
# Any other status ends the job with that status.

# The launcher of the job step: `srun --mpi=pmix` by default, `mpirun` with VAE_LAUNCHER=mpirun.
vae_launcher() {
  if [[ ${VAE_LAUNCHER:-srun} == mpirun ]]; then
    echo mpirun
  else
    echo srun --mpi=pmix
  fi
}

run_preemptible() {
  "$@" &
  local step=$! status
  trap 'echo "$(date +%T) slurm: stop requested; vae_dist checkpoints its step and exits 75"; kill -USR1 '"$step"' 2>/dev/null' USR1 TERM
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
