#!/usr/bin/env bash
# The command line as a user meets it: --version, --help in groups, and flags from a TOML file.
#   command_line_test.sh CASE RANKS MPIEXEC VAE_DIST VAE_DATA
# CASE: version — prints the version, the commit and what the build has, once per job, exit 0;
#       help — the training flags under their group headings;
#       config — flags read from --config FILE, the command line winning, recorded in config.json;
#       an unknown key or a missing file is refused with exit status 2.
set -uo pipefail
case_name=$1 ranks=$2 mpiexec=$3 vae_dist=$4 vae_data=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*"; echo "--- output ---"; tail -n 30 "$work/out" 2>/dev/null; exit 1; }

case $case_name in
  version)
    "$mpiexec" -n "$ranks" "$vae_dist" --version >"$work/out" 2>&1 || fail "--version exited non-zero"
    [[ $(grep -c '^vae_dist [0-9.]* (commit ' "$work/out") == 1 ]] || fail "the version line, once for $ranks ranks"
    for line in "LibTorch  1\." "oneDNN    [0-9.]*, .* kernels on this CPU" "MPI       Open MPI v4" "NCCL      (yes|no)" "CUDA      " "SIMD      "; do
      grep -Eq "^  $line" "$work/out" || fail "no line '$line'"
    done
    echo "ok: $(head -1 "$work/out")" ;;
  help)
    "$vae_dist" --help >"$work/out" 2>&1 || fail "--help exited non-zero"
    previous=0
    for group in Data Model Training Parallelism Checkpoints Evaluation Outputs; do
      line=$(grep -n "^$group:" "$work/out" | cut -d: -f1)
      [[ -n $line ]] || fail "no group '$group:'"
      ((line > previous)) || fail "group '$group' out of order"
      previous=$line
    done
    sed -n "/^Data:/,/^Model:/p" "$work/out" | grep -q -- "--test-fraction" || fail "--test-fraction is not under Data"
    sed -n "/^Checkpoints:/,/^Evaluation:/p" "$work/out" | grep -q -- "--resume" || fail "--resume is not under Checkpoints"
    echo "ok: --help lists the flags in 7 groups" ;;
  config)
    "$vae_data" synth --out "$work/data.h5" --train 600 --test 60 >/dev/null || fail "vae_data synth"
    cat >"$work/run.toml" <<TOML
# A run described in a file; the command line may override any of it.
data = "$work/data.h5"
epochs = 1
latent-dim = 3
batch-size = 16
max-steps = 2
threads = 1
iw-samples = 2
iw-subset = 10
no-shuffle = true
TOML
    "$mpiexec" -n "$ranks" "$vae_dist" --config "$work/run.toml" --epochs 2 --out "$work/run" >"$work/out" 2>&1 || fail "--config"
    /usr/bin/python3 - "$work/run/config.json" "$work/data.h5" "$ranks" <<'PY' || fail "config.json does not record the file's settings and the override"
import json, sys
config, data, ranks = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
want = {"data": data, "epochs": 2, "latent_dim": 3, "batch_size": 16, "global_batch_size": 16 * ranks, "max_steps": 2, "iw_samples": 2, "shuffle": False}
wrong = {key: (config.get(key), value) for key, value in want.items() if config.get(key) != value}
assert not wrong, wrong
PY
    echo "laten-dim = 4" >>"$work/run.toml"
    "$vae_dist" --config "$work/run.toml" --out "$work/run2" >"$work/out" 2>&1
    status=$?
    [[ $status == 2 ]] || fail "an unknown key in the file: exit $status, not 2"
    grep -q "laten-dim" "$work/out" || fail "the unknown key is not named"
    "$vae_dist" --config "$work/absent.toml" >"$work/out" 2>&1
    status=$?
    [[ $status == 2 ]] || fail "a missing config file: exit $status, not 2"
    echo "ok: --config read (the command line's --epochs 2 won), recorded in config.json; an unknown key and a missing file exit 2" ;;
  *) fail "unknown case $case_name" ;;
esac
