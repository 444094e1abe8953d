#!/usr/bin/env bash
# slurm/multi_node.sbatch on a real multi-node Slurm cluster of network-namespace hosts
# (multi_node_cluster.sh: one slurmd per host, started here as root), one rank per node. The
# template runs unchanged: only sbatch options and the environment (VAE_DIST, VAE_SLURM_DIR,
# VAE_OUT, VAE_LAUNCHER, VAE_RANKS_PER_NODE) differ from a user's submission.
#   multi_node_test.sh CASE VAE_DIST VAE_DATA
# CASE: three_nodes — the job runs 3 ranks on 3 hosts with `srun --mpi=pmix` and finishes;
#       node_death (srun), root_node_death (mpirun) — submitted with --nodes=2-3, it runs on 3
#       nodes; mid-epoch node 2 (rank 1), or node 1 (rank 0 and the batch script) dies: Slurm marks
#       it down and requeues the job, which starts again on the 2 nodes left and finishes from the
#       step the survivors saved. Every row is trained once per epoch but the rows of at most one
#       step, the weights end within the rank-count tolerance of an uninterrupted 3-rank run
#       (tests/mpi/rank_count_test.sh), and the dead node is named.
# Exit status 77 (CTest: skipped, never passed) when no cluster can be started here.
set -uo pipefail
case_name=$1 vae_dist=$2 vae_data=$3
here=$(cd "$(dirname "$0")" && pwd)
slurm_dir=$(cd "$here/../../slurm" && pwd)
work=$(mktemp -d)
source "$here/multi_node_cluster.sh"
trap 'stop_multi_node_cluster "$work/cluster"; [[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"' EXIT
source "$here/../../launch/vae_env.sh"  # mpirun as root (the job gets this environment: --export=ALL)
source "$here/../oracle/restarted_run.sh"
readonly ROWS=4993

fail() {
  echo "FAIL: $*"
  for f in "$work"/job-*.out; do [[ -f $f ]] && { echo "--- $f"; tail -30 "$f"; }; done
  echo "--- Slurm's errors"
  grep -h -i -E 'error|killing|fail' "$work"/cluster/slurm*.log 2>/dev/null | tail -15
  exit 1
}

mkdir -p "$work/cluster"
start_multi_node_cluster 3 "$work/cluster" || exit $?
"$vae_data" synth --out "$work/data.h5" --train $ROWS --test 200 >/dev/null || fail "vae_data synth"
flags=(--data "$work/data.h5" --latent-dim 2 --iw-samples 2 --iw-subset 20 --global-batch-size 384 --collective-timeout 20)

submit() {  # LAUNCHER SBATCH_OPTION… -- VAE_DIST_FLAG… → job id
  local launcher=$1 options=()
  shift
  while [[ $1 != -- ]]; do options+=("$1"); shift; done
  shift
  in_cluster sbatch --parsable "${options[@]}" --time=10 --output="$work/job-%j.out" \
    --export="ALL,VAE_DIST=$vae_dist,VAE_SLURM_DIR=$slurm_dir,VAE_OUT=$work/run,VAE_LAUNCHER=$launcher,VAE_RANKS_PER_NODE=1" \
    "$slurm_dir/multi_node.sbatch" "$@"
}
field() { in_cluster scontrol show job "$1" 2>/dev/null | grep -o "\b$2=[^ ]*" | head -1 | cut -d= -f2-; }
wait_for_end() {  # JOB SECONDS
  local start=$SECONDS
  while [[ -n $(in_cluster squeue -h -j "$1" -o %T 2>/dev/null) ]]; do
    ((SECONDS - start > $2)) && { in_cluster scancel "$1"; fail "job $1 still in the queue after $2 s"; }
    sleep 1
  done
}

case $case_name in
  three_nodes)
    job=$(submit srun --nodes=3 -- "${flags[@]}" --epochs 1) || fail "sbatch"
    wait_for_end "$job" 180
    grep -q "ranks        3 on 3 hosts" "$work/job-$job.out" || fail "the job did not run 3 ranks on 3 hosts"
    grep -q "vae_dist: done" "$work/job-$job.out" || fail "the run did not finish"
    echo "ok: multi_node.sbatch ran 3 ranks on 3 nodes with srun --mpi=pmix" ;;
  node_death | root_node_death)
    victim=2 launcher=srun
    [[ $case_name == root_node_death ]] && victim=1 launcher=mpirun
    flags+=(--epochs 3 --keep 10 --record-samples --kernels torch)
    OMPI_MCA_rmaps_base_oversubscribe=1 mpirun -n 3 "$vae_dist" "${flags[@]}" --threads 1 --out "$work/reference" >"$work/reference.log" 2>&1 ||
      fail "the uninterrupted run"
    job=$(submit $launcher --nodes=2-3 -- "${flags[@]}") || fail "sbatch"
    for _ in $(seq 1200); do [[ -s $work/run/metrics.jsonl ]] && break; sleep 0.1; done  # epoch 1 is done
    [[ $(field "$job" NumNodes) == 3 ]] || fail "the job did not start on 3 nodes ($(field "$job" NodeList))"
    sleep 1
    kill_host $victim
    killed_at=$SECONDS
    # Requeued after a node failure, the job is held until Slurm's credential expiry (2 minutes):
    # it is released once pending, a second after the requeue (slurmd refuses a start in the second
    # its last run's credential was revoked).
    for _ in $(seq 240); do
      [[ $(field "$job" JobState) == PENDING && $(field "$job" Restarts) -ge 1 ]] && break
      sleep 0.5
    done
    [[ $(field "$job" Restarts) -ge 1 ]] || fail "the job was not requeued after $(node_name $victim) died ($(field "$job" JobState))"
    requeued_s=$((SECONDS - killed_at))
    sleep 1
    in_cluster scontrol update jobid="$job" StartTime=now || fail "could not release the requeued job"
    wait_for_end "$job" 240
    log=$work/job-$job.out
    grep -q "ranks        2 on 2 hosts" "$log" || fail "the requeued job did not run on the 2 nodes left"
    grep -q "restart      1 (Slurm requeue) on 2 host(s)" "$log" || fail "the table does not say restart 1 (Slurm requeue)"
    grep -q "resumed      at epoch 2, step" "$log" || fail "the requeued job did not resume within epoch 2"
    grep -q "vae_dist: done" "$log" || fail "the requeued job did not finish"
    saved=$(ls "$work"/run/checkpoints | grep '^epoch_0002_step_') || fail "no survivor saved a step of epoch 2"
    # srun names the dead node in the job's log; when it died with the batch script, slurmctld's log does.
    named=$(grep -o -m1 "Node failure on $(node_name $victim)" "$log" ||
            grep -o -m1 "requeue job JobId=$job due to failure of node $(node_name $victim)" "$work/cluster/slurmctld.log") ||
      fail "$(node_name $victim) is named neither in the job's log nor in slurmctld's"
    rows=$(check_restarted_run "$work/reference" "$work/run" $ROWS) || fail "the requeued run: $rows"
    echo "ok: $(node_name $victim) died ($launcher); requeued in ${requeued_s}s (\"$named\"); $saved saved; finished on 2 nodes; $rows" ;;
  *) fail "unknown case $case_name" ;;
esac
