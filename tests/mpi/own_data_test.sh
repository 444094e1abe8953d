#!/usr/bin/env bash
# Files written by h5py (tests/data/write_own_files.py) train under mpirun -n 2 as a user would
# run them: each layout and pixel type, gzip, other dataset names; and the damaged ones stop
# every rank with one message naming the file, the dataset and the row. NumPy arrays and PNG
# folders imported by vae_data train the same way; a failed import leaves nothing behind.
#   own_data_test.sh MPIEXEC VAE_DIST VAE_DATA
set -uo pipefail
mpiexec=$1 vae_dist=$2 vae_data=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- output ---"; tail -n 20 "$work/out"; exit 1; }

/usr/bin/python3 "$here/../data/write_own_files.py" "$work" || fail "the h5py writer"
common=(--epochs 1 --max-steps 2 --batch-size 16 --threads 1 --latent-dim 2 --iw-samples 2 --iw-subset 8)

trains() {  # FILE [FLAGS...]: 2 ranks train on it and write a checkpoint
  local file=$1
  shift
  "$mpiexec" -n 2 "$vae_dist" --data "$work/$file" --out "$work/run_$file" "${common[@]}" "$@" >"$work/out" 2>&1 ||
    fail "mpirun -n 2 vae_dist --data $file $*"
  [[ -f $work/run_$file/checkpoints/epoch_0001.pt ]] || fail "$file: no checkpoint"
  echo "ok: $file $* trains on 2 ranks ($(grep -m1 '^  dataset' "$work/out" | xargs))"
}

refused() {  # FRAGMENT FILE [FLAGS...]: every rank exits non-zero, the message said once
  local fragment=$1 file=$2
  shift 2
  "$mpiexec" -n 2 "$vae_dist" --data "$work/$file" --out "$work/run_$file" "${common[@]}" "$@" >"$work/out" 2>&1 && fail "$file was accepted"
  [[ $(grep -c "vae_dist: error: .*$fragment" "$work/out") == 1 ]] || fail "$file: expected '$fragment' once"
  echo "ok: $file refused: $(grep 'vae_dist: error' "$work/out")"
}

for file in uint8_nchw_attributes.h5 uint8_nhw.h5 float32_nhw.h5 float64_nchw.h5 uint8_nhwc_rgb_gzip.h5 \
            float32_nhwc_gzip_shuffle.h5 uint8_nhwc_gray.h5; do
  trains "$file"
done
trains other_keys.h5 --train-key /x_train --test-key /data/x_test
trains ambiguous_nhwc.h5 --layout nhwc --model mlp
trains train_only.h5 --test-fraction 0.1
grep -q "135 train, 15 test" "$work/out" || fail "--test-fraction 0.1 of 150 rows: expected 135 train, 15 test"
refused "other_keys.h5: /train/images is missing (datasets in the file: /data/x_test, /x_train); name the train images with --train-key" other_keys.h5
refused "out_of_range.h5: /train/images: row 97 holds the pixel value 1.25, outside \[0, 1\]" out_of_range.h5
refused "nan.h5: /test/images: row 31 holds the pixel value nan" nan.h5
# Images that live elsewhere: read where they are, or refused naming what is missing (HDF5 itself
# reads a virtual dataset without its source as zeros, and calls a dangling link damage).
trains lzf.h5
trains virtual.h5
refused "virtual_missing_source.h5: /train/images is a virtual dataset, and its source file vds_source_gone.h5 is missing" virtual_missing_source.h5
refused "dangling_link.h5: /train is an external link to gone.h5:/train, which cannot be opened" dangling_link.h5
refused "uint8_nchw_attributes.h5 has a test split (/test/images): --test-fraction is for files without one" uint8_nchw_attributes.h5 --test-fraction 0.1
"$vae_data" inspect "$work/virtual_missing_source.h5" >"$work/out" 2>&1 && fail "inspect read a virtual dataset without its source"
grep -q "vds_source_gone.h5 is missing" "$work/out" || fail "inspect did not name the missing source"

# vae_data inspect reads every row, and evaluate reads the file the way its run did.
"$vae_data" inspect "$work/other_keys.h5" --train-key /x_train --test-key /data/x_test >"$work/out" 2>&1 || fail "inspect with keys"
grep -q "every row read and in range" "$work/out" || fail "inspect did not read every row"
"$vae_data" inspect "$work/out_of_range.h5" >"$work/out" 2>&1 && fail "inspect accepted row 97"
for run in other_keys.h5 train_only.h5; do
  "$vae_dist" evaluate --checkpoint "$work/run_$run/checkpoints/epoch_0001.pt" --iw-samples 2 --iw-subset 8 >"$work/out" 2>&1 ||
    fail "evaluate did not read $run as its run did"
done
echo "ok: inspect and evaluate"
# 64×64 RGB trains with the conv model (the 64×64 canvas) and draws colour pictures.
"$mpiexec" -n 2 "$vae_dist" --data "$work/uint8_nhwc_rgb64.h5" --out "$work/rgb64" "${common[@]}" >"$work/out" 2>&1 || fail "64×64 RGB"
grep -q "conv on a 64×64 canvas" "$work/out" || fail "the table does not show the 64×64 canvas"
[[ -s $work/rgb64/samples/epoch_0001.png ]] || fail "no samples grid for the 64×64 RGB run"
echo "ok: 64×64 RGB trains with the conv model on a 64×64 canvas"

"$vae_data" import "$work/keras.npz" --out "$work/keras.h5" >"$work/out" 2>&1 || fail "vae_data import keras.npz"
trains keras.h5
"$vae_data" import "$work/train.npy" --train-labels "$work/train_labels.npy" --out "$work/npy.h5" >"$work/out" 2>&1 || fail "import .npy"
trains npy.h5 --test-fraction 0.2
"$vae_data" import "$work/pngs" --out "$work/pngs.h5" >"$work/out" 2>&1 || fail "vae_data import pngs"
grep -q "labels: 0 even, 1 odd" "$work/out" || fail "the PNG labels are not named"
trains pngs.h5 --global-batch-size 4
echo "kept" >"$work/kept.h5"
"$vae_data" import "$work/mixed_sizes" --out "$work/kept.h5" >"$work/out" 2>&1 && fail "images of two sizes imported"
grep -q "b.png is 32×16 RGB" "$work/out" || fail "the odd image is not named"
[[ $(cat "$work/kept.h5") == kept ]] || fail "a failed import touched the existing file"
[[ -z $(ls "$work" | grep -v '^kept.h5$' | grep '^kept') ]] || fail "a failed import left a temporary file"
# Under a file-size limit (its SIGXFSZ at the default action) a write fails with vae_data's line.
(ulimit -f 64; exec "$vae_data" synth --out "$work/too_big.h5" --train 4000 --test 100) >"$work/out" 2>&1
status=$?
[[ $status == 1 ]] || fail "vae_data under a file-size limit exited $status, not 1"
grep -q "too_big.h5: write failed (File too large" "$work/out" || fail "no line naming the file"
[[ ! -e $work/too_big.h5 ]] || fail "a partial file was left"
echo "ok: vae_data import (.npz, .npy, PNG folders) trains on 2 ranks; a failed one leaves the old file"
