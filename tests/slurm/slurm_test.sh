#!/usr/bin/env bash
# The sbatch templates of slurm/ on a real one-node Slurm cluster (started here, as root), with
# 2 tasks on the synthetic dataset. The templates run unchanged: only sbatch options and the
# environment (VAE_DIST, VAE_SLURM_DIR, VAE_OUT, VAE_LAUNCHER) differ from a user's submission.
#   slurm_test.sh CASE VAE_DIST VAE_DATA
# CASE: batch_srun, batch_mpirun — single_node.sbatch finishes, launched by `srun --mpi=pmix` or
#       by `mpirun` inside the allocation, and leaves every artifact;
#       scaling_array — task 0 of scaling.sbatch appends a --results line that bench/scaling.py reads;
#       preempt — the warning signal (scancel --signal=USR1 --batch) mid-epoch: the step stops at a
#       checkpoint with 75, the job requeues itself, resumes at that step, and ends with bitwise
#       the weights of an uninterrupted run.
# Exit status 77 (CTest: skipped, never passed) when no cluster can be started here.
set -uo pipefail
case_name=$1 vae_dist=$2 vae_data=$3
here=$(cd "$(dirname "$0")" && pwd)
slurm_dir=$(cd "$here/../../slurm" && pwd)
work=$(mktemp -d)
source "$here/test_cluster.sh"
trap 'stop_test_cluster "$work/cluster"; rm -rf "$work"' EXIT
source "$here/../../launch/vae_env.sh"  # mpirun as root, for the mpirun launcher and the reference run

fail() {
  echo "FAIL: $*"
  for f in "$work"/job-*.out; do echo "--- $f"; tail -30 "$f"; done
  echo "--- Slurm's errors"; grep -h -i -E 'error|killing' "$work"/cluster/slurm*.log | tail -10
  exit 1
}

start_test_cluster "$work/cluster" || exit $?
"$vae_data" synth --out "$work/data.h5" --train 8000 --test 200 >/dev/null || fail "vae_data synth"
flags=(--data "$work/data.h5" --latent-dim 2 --iw-samples 2 --iw-subset 20)

submit() {  # template, run folder, launcher, vae_dist flags… → job id
  local template=$1 out=$2 launcher=$3; shift 3
  sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 --time=10 --output="$work/job-%j.out" \
    --export="ALL,VAE_DIST=$vae_dist,VAE_SLURM_DIR=$slurm_dir,VAE_OUT=$out,VAE_LAUNCHER=$launcher" "$slurm_dir/$template" "$@"
}

wait_for_end() {  # job id, seconds
  local job=$1 limit=$2 start=$SECONDS
  while [[ -n $(squeue -h -j "$job" -o %T 2>/dev/null) ]]; do
    ((SECONDS - start > limit)) && { scancel "$job"; fail "job $job still in the queue after ${limit}s"; }
    sleep 1
  done
}

case $case_name in
  batch_srun | batch_mpirun)
    job=$(submit single_node.sbatch "$work/run" "${case_name#batch_}" "${flags[@]}" --epochs 2) || fail "sbatch"
    wait_for_end "$job" 120
    [[ $(scontrol show job "$job" 2>/dev/null | grep -o 'ExitCode=[0-9:]*' || echo gone) =~ ExitCode=0:0|gone ]] || fail "job exit code"
    grep -q "ranks        2 (2 on" "$work/job-$job.out" || fail "the job did not run 2 ranks"
    grep -q "vae_dist: done" "$work/job-$job.out" || fail "the run did not finish"
    for file in checkpoints/epoch_0002.pt metrics.jsonl generated_images.gif loss.png; do
      [[ -f $work/run/$file ]] || fail "missing $file"
    done
    echo "ok: single_node.sbatch with ${case_name#batch_}: 2 ranks, every artifact" ;;
  scaling_array)
    job=$(VAE_RESULTS="$work/results.jsonl" VAE_RESULTS_LABEL=strong sbatch --parsable --nodes=1 --ntasks-per-node=2 --array=0-0 \
            --output="$work/job-%A_%a.out" --export="ALL,VAE_DIST=$vae_dist" "$slurm_dir/scaling.sbatch" "${flags[@]}" --epochs 1 \
            --global-batch-size 128) || fail "sbatch"
    wait_for_end "$job" 120
    [[ $(wc -l <"$work/results.jsonl") == 1 ]] || fail "expected one result line"
    grep -q '"ranks":2' "$work/results.jsonl" || fail "the array task did not run 2 ranks: $(cat "$work/results.jsonl")"
    /usr/bin/python3 "$here/../../bench/scaling.py" --from "$work/results.jsonl" --out "$work/table" >"$work/table.txt" &&
      grep -q "^  strong      2" "$work/table.txt" || fail "bench/scaling.py could not read the array's line"
    echo "ok: scaling.sbatch task 0 wrote a result line that bench/scaling.py reads" ;;
  preempt)
    mpirun -n 2 "$vae_dist" "${flags[@]}" --epochs 3 --threads 1 --out "$work/reference" >"$work/reference.log" 2>&1 || fail "the uninterrupted run"
    job=$(submit single_node.sbatch "$work/run" srun "${flags[@]}" --epochs 3) || fail "sbatch"
    for _ in $(seq 600); do [[ -s $work/run/metrics.jsonl ]] && break; sleep 0.1; done  # epoch 1 is done
    sleep 0.5
    scancel --signal=USR1 --batch "$job"
    signalled_at=$SECONDS
    for _ in $(seq 60); do
      [[ $(squeue -h -j "$job" -o %T) == PENDING ]] && scontrol show job "$job" | grep -q 'Restarts=1' && break
      sleep 1
    done
    scontrol show job "$job" | grep -q 'Restarts=1' || fail "the job was not requeued"
    requeued_s=$((SECONDS - signalled_at))
    # Slurm holds a requeued job ~2 minutes; the test starts it after 2 s. Not at once: slurmd refuses
    # a job started again in the second its last run ended ("Job credential revoked"); the job fails.
    sleep 2
    scontrol update jobid="$job" StartTime=now
    wait_for_end "$job" 180
    log=$work/job-$job.out
    stop=$(grep -o 'stopped on request at epoch [0-9]*, step [0-9]*' "$log") || fail "no stop line"
    grep -q "Exited with exit code 75" "$log" || fail "the step did not exit 75"
    grep -q "requeueing job $job" "$log" || fail "the batch script did not requeue"
    grep -q "resumed      at epoch 2" "$log" || fail "the requeued job did not resume in epoch 2"
    grep -q "vae_dist: done" "$log" || fail "the requeued job did not finish"
    /usr/bin/python3 "$here/../oracle/same_weights.py" "$work/reference/checkpoints/epoch_0003.pt" "$work/run/checkpoints/epoch_0003.pt" ||
      fail "the preempted run ended with other weights"
    echo "ok: $stop, exit 75, requeued within ${requeued_s}s, resumed and ended bitwise equal to the uninterrupted run" ;;
  *) fail "unknown case $case_name" ;;
esac
