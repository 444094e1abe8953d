#!/usr/bin/env bash
# build/bench/vae_layer_bench at small batches: a row for each of the eight layers with six timed
# cells, the totals, the multiply-add count and the core's FMA peak, and a usage error (exit 2)
# for an unknown option. No timing is asserted.
#   layer_table_test.sh VAE_LAYER_BENCH
set -euo pipefail
bench=$1
for batch in 3 8; do
  table=$("$bench" --batch "$batch" --calls 2)
  rows=$(grep -cE '^\| (enc|dec)[1-4] \|' <<<"$table" || true)
  [[ $rows == 8 ]] || { echo "$table"; echo "FAIL: batch $batch: $rows layer rows, not 8"; exit 1; }
  timed=$(grep -E '^\| (enc|dec)[1-4] \|' <<<"$table" | grep -oE '[0-9]+\.[0-9]+ ms \([0-9]+\)' | wc -l)
  [[ $timed == 48 ]] || { echo "$table"; echo "FAIL: batch $batch: $timed timed cells, not 48"; exit 1; }
  grep -q '^| all eight |' <<<"$table" || { echo "$table"; echo "FAIL: batch $batch: no totals"; exit 1; }
  grep -qE '^Multiply-adds of the eight layers, forward and backward: [0-9.]+ GFLOP, [0-9.]+ GFLOP of them inside the image' <<<"$table" ||
    { echo "$table"; echo "FAIL: batch $batch: no multiply-add count"; exit 1; }
  if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then  # the peak is measured on AVX2 + FMA or wider
    grep -qE "^This core's FMA peak, one thread: [1-9][0-9]* GFLOP/s" <<<"$table" || { echo "$table"; echo "FAIL: batch $batch: no FMA peak"; exit 1; }
  fi
done
status=0
"$bench" --batches 4 >/dev/null 2>&1 || status=$?
[[ $status == 2 ]] || { echo "FAIL: an unknown option exited $status, not 2"; exit 1; }
echo "ok: eight layers timed three ways at batch 3 and 8; usage errors exit 2"
