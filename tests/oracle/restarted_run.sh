# Sourced by the node-death tests (tests/multihost, tests/slurm): whether a 3-epoch run that lost a
# host and went on from the survivors' step, on fewer ranks, ended as the uninterrupted run of the
# same seed and data did.
#   check_restarted_run REFERENCE RUN ROWS → prints what it saw of the rows and returns 0, or
#                                             prints what differs and returns 1
# Tolerances: the weights within the rank-count tolerance after 3 epochs (float summation order
# differs between rank counts; tests/mpi/rank_count_test.sh, --kernels torch); the final test loss
# within the run-to-run spread (seeds 1, 2 and 3 of the uninterrupted test run end at 256.2, 257.2
# and 259.7 nats/img). Every row is trained once per epoch but the rows of at most one step.
readonly RESTARTED_WEIGHTS_WITHIN=5e-3 RESTARTED_LOSS_WITHIN=3.5
restarted_run_oracle=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

check_restarted_run() {
  local reference=$1 run=$2 rows=$3 rows_seen said weights
  rows_seen=$(/usr/bin/python3 "$restarted_run_oracle/each_row_once.py" "$run" "$rows" 3 --but-one-step 2>&1) ||
    { echo "rows: $rows_seen"; return 1; }
  weights=$(/usr/bin/python3 "$restarted_run_oracle/same_weights.py" "$reference/checkpoints/epoch_0003.pt" "$run/checkpoints/epoch_0003.pt" \
           --within $RESTARTED_WEIGHTS_WITHIN 2>&1) || { echo "other weights than the uninterrupted run: $weights"; return 1; }
  said=$(/usr/bin/python3 "$restarted_run_oracle/same_test_loss.py" "$reference/metrics.jsonl" "$run/metrics.jsonl" \
           --within $RESTARTED_LOSS_WITHIN 2>&1) || { echo "a test loss outside the run-to-run spread: $said"; return 1; }
  echo "$rows_seen; weights: $weights"
}
