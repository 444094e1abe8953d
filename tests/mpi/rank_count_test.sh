#!/usr/bin/env bash
# The same run on any number of ranks (Note [Lanes] in include/vae/sample_order.hpp), under mpiexec.
#   rank_count_test.sh CASE MPIEXEC VAE_DIST VAE_DATA
# CASE: any_rank_count — 1, 2 and 3 ranks at one global batch train on exactly the same rows in
#       the same steps (their --record-samples files agree line for line, and every row comes once
#       per epoch) and end with the same weights up to float summation order;
#       resume_on_3 — a 2-rank run stopped by SIGUSR1 in epoch 2 refuses to go on with another
#       global batch, then goes on under 3 ranks with the same rows and ends where the
#       uninterrupted 2-rank run ends; --new-global-batch changes the batch at an epoch boundary.
#
# Tolerance: the median |Δθ| over all weights (tests/oracle/same_weights.py). Float summation
# order differs between rank counts, and Adam's m/√v turns that rounding into steps of up to lr in
# near-zero gradients (with a latent size of 2 the encoder's are all near zero), which later steps
# amplify: the largest difference is chance (measured between 1 and 2 ranks: 4.7e-3 after one
# epoch, 2e-2 after three; between 1 and 3: 9e-7 and 4e-5), the typical weight stays within
# rounding (medians 2e-8 to 2e-6). A different sample order (--no-shuffle) moves the typical
# weight by lr-sized steps: medians 2e-4, 7e-4 and 1e-3 after epochs 1, 2 and 3.
# These runs use --kernels torch (LibTorch's autograd, the fused Adam); the fast path's gradients
# equal LibTorch's at any rank count in tests/mpi/data_parallel_test.cpp.
# KEEP_WORK=1 keeps the work folder for a look.
set -uo pipefail
case_name=$1 mpiexec=$2 vae_dist=$3 vae_data=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap '[[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"' EXIT
readonly ROWS=4993 BATCH=384  # 13 whole steps and one of a single row, from the last lane (the last rank's)
readonly MEDIAN_WITHIN=2e-5

fail() { echo "FAIL: $*"; echo "--- output ---"; tail -n 30 "$work"/*.log 2>/dev/null; exit 1; }

"$vae_data" synth --out "$work/data.h5" --train $ROWS --test 200 >/dev/null || fail "vae_data synth"
common=(--data "$work/data.h5" --epochs 3 --threads 1 --latent-dim 2 --iw-samples 2 --iw-subset 20 --keep 10 --record-samples --kernels torch)

train() {  # RANKS FOLDER [FLAGS...]
  local ranks=$1 out=$2
  shift 2
  "$mpiexec" -n "$ranks" "$vae_dist" "${common[@]}" --out "$out" "$@" >"$out.log" 2>&1 || fail "$ranks-rank run into $out"
}

# Every epoch of FOLDER's record (all ranks' files) holds each training row exactly once.
each_row_once() {
  /usr/bin/python3 "$here/../oracle/each_row_once.py" "$1" $ROWS 3 >/dev/null || fail "$1: a row was skipped or repeated"
}

# FOLDER's record, all ranks and sessions together, is line for line the one of REFERENCE.
same_rows() {
  cmp -s <(sort "$1"/sample_record/*.csv) <(sort "$2"/sample_record/*.csv) || fail "$2 trained on other rows in other steps than $1"
}

same_weights() {  # REFERENCE FOLDER
  for e in 2 3; do
    /usr/bin/python3 "$here/../oracle/same_weights.py" "$1/checkpoints/epoch_000$e.pt" "$2/checkpoints/epoch_000$e.pt" --median-within $MEDIAN_WITHIN ||
      fail "$2 ended epoch $e with other weights than $1"
  done
}

case $case_name in
  any_rank_count)
    for ranks in 1 2 3; do train $ranks "$work/ranks$ranks" --global-batch-size $BATCH; done
    grep -q "384 global, 128 per rank" "$work/ranks3.log" || fail "3 ranks should take 128 samples each"
    each_row_once "$work/ranks1"
    for ranks in 2 3; do
      same_rows "$work/ranks1" "$work/ranks$ranks"
      same_weights "$work/ranks1" "$work/ranks$ranks"
    done
    echo "ok: 1, 2 and 3 ranks took the same rows in the same steps and ended with the same weights" ;;
  resume_on_3)
    train 2 "$work/reference" --batch-size $((BATCH / 2))
    # Stop the same run as soon as it has taken a step of epoch 2 (SIGUSR1 to one rank only).
    "$mpiexec" -n 2 bash -c 'echo $$ > "'"$work"'/pid.$OMPI_COMM_WORLD_RANK"; exec "$@"' \
      _ "$vae_dist" "${common[@]}" --batch-size $((BATCH / 2)) --out "$work/run" >"$work/stopped.log" 2>&1 &
    job=$!
    for _ in $(seq 1200); do grep -q '^2,' "$work/run/sample_record/rank_0000.csv" 2>/dev/null && break; sleep 0.02; done
    kill -USR1 "$(cat "$work/pid.1")" || fail "rank 1 is not running"
    wait $job
    [[ $? == 75 ]] || fail "the stopped run did not exit 75"
    stop=$(ls "$work/run/checkpoints" | grep '_step_') || fail "no checkpoint of the stop step"
    before=$(md5sum "$work"/run/checkpoints/*)

    refused() {  # MESSAGE FLAGS...: 3 ranks refuse to resume with FLAGS, saying MESSAGE, and touch nothing
      local message=$1
      shift
      "$mpiexec" -n 3 "$vae_dist" --out "$work/run" --resume auto "$@" >"$work/refused.log" 2>&1 && fail "resumed with $*"
      grep -q "$message" "$work/refused.log" || fail "no '$message' when resuming with $*"
      [[ $(md5sum "$work"/run/checkpoints/*) == "$before" ]] || fail "a refused resume changed the checkpoints"
    }
    refused "trained with a global batch of $BATCH, and this run would use 192" --batch-size 64
    refused "only possible at an epoch boundary" --batch-size 64 --new-global-batch

    # The stopped run's own command line, as a requeued job repeats it: --batch-size 192 is no request.
    "$mpiexec" -n 3 "$vae_dist" "${common[@]}" --batch-size $((BATCH / 2)) --out "$work/run" --resume auto >"$work/resumed.log" 2>&1 ||
      fail "resuming on 3 ranks"
    grep -q "$BATCH global, 128 per rank" "$work/resumed.log" || fail "the resumed run did not keep the global batch of $BATCH"
    same_rows "$work/reference" "$work/run"
    each_row_once "$work/run"
    same_weights "$work/reference" "$work/run"

    "$mpiexec" -n 3 "$vae_dist" --resume "$work/run/checkpoints/epoch_0002.pt" --force --global-batch-size 96 --new-global-batch \
      >"$work/changed.log" 2>&1 || fail "--new-global-batch from an epoch boundary"
    grep -q "96 global, 32 per rank" "$work/changed.log" || fail "--new-global-batch did not take the new batch"
    echo "ok: stopped at $stop on 2 ranks, resumed on 3 with the same rows and weights; other batches refused mid-epoch" ;;
  *) fail "unknown case $case_name" ;;
esac
