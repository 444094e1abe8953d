#!/usr/bin/env bash
# The CPU kernels and threads a user gets: under mpirun -n 2 each rank runs the fast path with
# ranks × threads ≤ cores and OpenMP threads that sleep rather than spin (vae_dist sets
# OMP_WAIT_POLICY=PASSIVE when the user did not); --kernels torch and a policy the user set are
# kept; both kernels train the same model and write checkpoints PyTorch loads with the same names.
#   kernels_test.sh MPIEXEC VAE_DIST VAE_DATA
set -uo pipefail
mpiexec=$1 vae_dist=$2 vae_data=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- output ---"; tail -n 20 "$work/out"; exit 1; }

"$vae_data" synth --out "$work/synth.h5" --train 256 --test 64 >/dev/null || fail "vae_data synth"
common=(--data "$work/synth.h5" --epochs 1 --max-steps 3 --batch-size 16 --latent-dim 4 --iw-samples 2 --iw-subset 8 --force)
cores=$(nproc)

policy=(-u OMP_WAIT_POLICY)  # the environment's OpenMP wait policy: none, unless a case sets one
train() {  # NAME [FLAGS...]: 2 ranks train; the configuration table is in $work/out
  local name=$1
  shift
  env "${policy[@]}" "$mpiexec" -n 2 "$vae_dist" "${common[@]}" --out "$work/$name" "$@" >"$work/out" 2>&1 || fail "$name: mpirun -n 2 vae_dist $*"
}

expect_device() {  # FRAGMENT: the table's device line holds it
  grep -q "^  device .*$1" "$work/out" || fail "expected '$1' in: $(grep '^  device' "$work/out")"
}

train fast
expect_device "fast kernels (oneDNN)"
expect_device "OpenMP wait passive"
threads=$(grep '^  device' "$work/out" | sed -E 's/.* ([0-9]+) thread\(s\) per rank.*/\1/')
((threads >= 1 && 2 * threads <= (cores > 2 ? cores : 2))) || fail "$threads threads per rank for 2 ranks on $cores cores"
echo "ok: default: $(grep '^  device' "$work/out" | xargs)"

train torch --kernels torch
expect_device "LibTorch kernels"
echo "ok: --kernels torch: $(grep '^  device' "$work/out" | xargs)"

policy=(OMP_WAIT_POLICY=ACTIVE)
train active
expect_device "OpenMP wait active"
echo "ok: a policy the user set is kept"

# One checkpoint from each path: the same parameter names and shapes for PyTorch.
/usr/bin/python3 - "$work/fast/checkpoints/epoch_0001.pt" "$work/torch/checkpoints/epoch_0001.pt" <<'PY' >"$work/out" 2>&1 || fail "PyTorch could not load both"
import sys, torch
shapes = []
for path in sys.argv[1:]:
    params = dict(torch.jit.load(path).named_parameters())
    shapes.append({k: tuple(v.shape) for k, v in params.items()})
    assert all(torch.isfinite(v).all() for v in params.values()), path
assert shapes[0] == shapes[1] and "dec1.weight" in shapes[0], shapes
print(f"{len(shapes[0])} parameters, same names and shapes")
PY
echo "ok: checkpoints of both kernels load in PyTorch: $(cat "$work/out")"
