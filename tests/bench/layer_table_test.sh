#!/usr/bin/env bash
# build/bench/vae_layer_bench at small batches: a row for each of the eight layers with six timed
# cells, the totals, the multiply-add count and the core's FMA peak, and a usage error (exit 2)
# for an unknown option. No timing is asserted.
#   layer_table_test.sh VAE_LAYER_BENCH
set -euo pipefail
bench=$1
# 2 × the multiply-adds of one image's forward and backward through the eight layers: 33.69 MFLOP,
# 28.03 MFLOP of them with taps inside the image (a 4×4 stride-2 layer from side s to s/2 has
# (2s − 2)/(2s) of its taps inside along each axis), so at batch 3 and 8:
declare -A expected_flops=([3]="0.101 GFLOP, 0.084 GFLOP" [8]="0.269 GFLOP, 0.224 GFLOP")
for batch in 3 8; do
  table=$("$bench" --batch "$batch" --calls 2)
  rows=$(grep -cE '^\| (enc|dec)[1-4] \|' <<<"$table" || true)
  [[ $rows == 8 ]] || { echo "$table"; echo "FAIL: batch $batch: $rows layer rows, not 8"; exit 1; }
  timed=$(grep -E '^\| (enc|dec)[1-4] \|' <<<"$table" | grep -oE '[0-9]+\.[0-9]+ ms \([0-9]+\)' | wc -l)
  [[ $timed == 48 ]] || { echo "$table"; echo "FAIL: batch $batch: $timed timed cells, not 48"; exit 1; }
  grep -q '^| all eight |' <<<"$table" || { echo "$table"; echo "FAIL: batch $batch: no totals"; exit 1; }
  grep -qF "Multiply-adds of the eight layers, forward and backward: ${expected_flops[$batch]} of them inside the image" <<<"$table" ||
    { echo "$table"; echo "FAIL: batch $batch: the multiply-add count is not ${expected_flops[$batch]}"; exit 1; }
  if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then  # the peak is measured on AVX2 + FMA or wider
    grep -qE "^This core's FMA peak, one thread: [1-9][0-9]* GFLOP/s" <<<"$table" || { echo "$table"; echo "FAIL: batch $batch: no FMA peak"; exit 1; }
  fi
done
status=0
"$bench" --batches 4 >/dev/null 2>&1 || status=$?
[[ $status == 2 ]] || { echo "FAIL: an unknown option exited $status, not 2"; exit 1; }
echo "ok: eight layers timed three ways at batch 3 and 8; usage errors exit 2"
