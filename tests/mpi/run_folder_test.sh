#!/usr/bin/env bash
# Nothing lost, nothing silent: what vae_dist does with a run folder it did not leave tidy, and
# with a stop that lands outside the training steps. Whole-program runs under mpiexec.
#   run_folder_test.sh CASE RANKS MPIEXEC VAE_DIST VAE_DATA
# CASE: damaged_checkpoints — every checkpoint damaged: --resume auto refuses on every rank with
#       one line, keeps them as *.damaged and leaves config.json and metrics.jsonl as they were;
#       --force then starts over and still keeps them;
#       config_only — the checkpoints deleted, config.json kept: --resume auto starts the run from
#       the beginning with the folder's settings, not the defaults; a damaged config.json is refused;
#       stale_temporaries — temporary files of a killed writer are deleted when the run goes on;
#       stop_at_start — a stop that lands while the ranks are still loading: exit 75, not death;
#       stop_in_evaluation — a stop during a long end-of-epoch evaluation ends every rank within
#       STOP_BOUND_S with a checkpoint of the trained epoch; the resume evaluates it and ends with
#       the metrics of a run that never stopped;
#       bad_flags — flags that used to be taken silently are refused with exit status 2.
set -uo pipefail
case_name=$1 ranks=$2 mpiexec=$3 vae_dist=$4 vae_data=$5
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
readonly STOP_BOUND_S=5

fail() { echo "FAIL: $*"; echo "--- output ---"; tail -n 30 "$work/out" 2>/dev/null; exit 1; }

"$vae_data" synth --out "$work/data.h5" --train 2000 --test 200 >/dev/null || fail "vae_data synth"
base=(--data "$work/data.h5" --threads 1 --max-steps 3)
common=("${base[@]}" --latent-dim 2 --iw-samples 2 --iw-subset 20)

# Runs vae_dist on $ranks ranks; each rank records its pid and, when it ends, its exit status.
# SIGTERM is ignored by the wrapper: mpirun ends the job once one rank has exited non-zero, and
# the wrapper must live to record its own rank's status.
run_recording() {
  rm -f "$work"/pid.* "$work"/status.*
  "$mpiexec" -n "$ranks" bash -c 'trap "" TERM; "$@" & echo $! > "'"$work"'/pid.$OMPI_COMM_WORLD_RANK"; wait $!; s=$?; echo $s > "'"$work"'/status.$OMPI_COMM_WORLD_RANK"; exit $s' \
    _ "$vae_dist" "$@" >"$work/out" 2>&1
}

every_rank_exited() {  # STATUS
  for ((r = 0; r < ranks; r++)); do
    [[ $(cat "$work/status.$r" 2>/dev/null) == "$1" ]] || fail "rank $r exited $(cat "$work/status.$r" 2>/dev/null), not $1"
  done
}

said_once() {  # FRAGMENT
  [[ $(grep -c -- "$1" "$work/out") == 1 ]] || fail "expected '$1' once in the output"
}

case $case_name in
  damaged_checkpoints)
    "$mpiexec" -n "$ranks" "$vae_dist" "${common[@]}" --epochs 2 --out "$work/run" >"$work/out" 2>&1 || fail "the first run"
    for f in "$work"/run/checkpoints/*.pt; do printf 'damaged damaged' | dd of="$f" bs=1 seek=3000 conv=notrunc status=none; done
    before=$(md5sum "$work/run/config.json" "$work/run/metrics.jsonl")
    run_recording --out "$work/run" --resume auto && fail "--resume auto accepted a folder of damaged checkpoints"
    every_rank_exited 1
    said_once "vae_dist: error: $work/run holds no checkpoint that verifies (2 damaged, kept as \*.damaged"
    [[ $(ls "$work/run/checkpoints") == $'epoch_0001.pt.damaged\nepoch_0002.pt.damaged' ]] || fail "the damaged files: $(ls "$work/run/checkpoints")"
    [[ $(md5sum "$work/run/config.json" "$work/run/metrics.jsonl") == "$before" ]] || fail "config.json or metrics.jsonl changed"
    run_recording --out "$work/run" --resume auto && fail "the second --resume auto started over"
    said_once "holds no checkpoint that verifies"
    "$mpiexec" -n "$ranks" "$vae_dist" "${common[@]}" --epochs 1 --out "$work/run" --force >"$work/out" 2>&1 || fail "--force"
    [[ -f $work/run/checkpoints/epoch_0001.pt && -f $work/run/checkpoints/epoch_0001.pt.damaged ]] || fail "--force: $(ls "$work/run/checkpoints")"
    echo "ok: refused on all $ranks ranks with one line; damaged files, config.json and metrics.jsonl kept; --force starts over beside them" ;;
  config_only)
    "$mpiexec" -n "$ranks" "$vae_dist" "${base[@]}" --epochs 1 --latent-dim 3 --batch-size 16 --out "$work/run" >"$work/out" 2>&1 || fail "the first run"
    rm "$work"/run/checkpoints/*
    "$mpiexec" -n "$ranks" "$vae_dist" --out "$work/run" --resume auto >"$work/out" 2>&1 || fail "--resume auto on config.json alone"
    said_once "has no checkpoint yet: starting it from the beginning with the settings of its config.json"
    grep -q "latent 3" "$work/out" || fail "the run did not keep latent 3"
    grep -q "$((16 * ranks)) global" "$work/out" || fail "the run did not keep the global batch"
    grep -q '"data": "'"$work/data.h5"'"' "$work/run/config.json" || fail "config.json lost its dataset"
    [[ -f $work/run/checkpoints/epoch_0001.pt ]] || fail "no checkpoint"
    # A damaged config.json and no checkpoint: refused, the file left as it is.
    rm "$work"/run/checkpoints/*
    printf '{"latent_dim": 3, "data' >"$work/run/config.json"
    run_recording --out "$work/run" --resume auto && fail "--resume auto started from a damaged config.json"
    every_rank_exited 1
    said_once "vae_dist: error: $work/run/config.json is damaged (not JSON)"
    [[ $(cat "$work/run/config.json") == '{"latent_dim": 3, "data' ]] || fail "the damaged config.json was rewritten"
    echo "ok: config.json alone: the run starts over with its settings (latent 3, its dataset, its batch); a damaged one is refused and kept" ;;
  stale_temporaries)
    "$mpiexec" -n "$ranks" "$vae_dist" "${common[@]}" --epochs 1 --out "$work/run" >"$work/out" 2>&1 || fail "the first run"
    head -c 3000000 /dev/zero >"$work/run/checkpoints/epoch_0002.pt.tmp"         # the name older versions wrote
    head -c 2000000 /dev/zero >"$work/run/checkpoints/epoch_0002.pt.Xy12Ab.tmp"  # today's unique names
    head -c 1000 /dev/zero >"$work/run/config.json.Cd34Ef.tmp"
    "$mpiexec" -n "$ranks" "$vae_dist" --out "$work/run" --resume auto --epochs 2 >"$work/out" 2>&1 || fail "--resume auto"
    said_once "removed 5.0 MB of temporary files a killed run left in $work/run"
    [[ -z $(find "$work/run" -name '*.tmp') ]] || fail "temporaries left: $(find "$work/run" -name '*.tmp')"
    echo "ok: 5 MB of stale temporaries removed at start" ;;
  stop_at_start)
    # The signal reaches one rank while it loads (before LibTorch's initialisers and MPI): its
    # default action would end that rank with 138. Every rank stops with 75 instead.
    for delay in 0.05 0.3; do
      run_recording "${common[@]}" --epochs 50 --out "$work/run_$delay" &
      job=$!
      for _ in $(seq 100); do [[ -s $work/pid.$((ranks - 1)) ]] && break; sleep 0.01; done
      sleep "$delay"
      kill -USR1 "$(cat "$work/pid.$((ranks - 1))")" || fail "no rank to signal"
      wait "$job"
      every_rank_exited 75
      said_once "stopped on request before the first step"
    done
    # Under mpirun alone (no wrapper), SIGUSR1 to mpirun itself as the job starts.
    "$mpiexec" -n "$ranks" "$vae_dist" "${common[@]}" --epochs 50 --out "$work/run_mpirun" >"$work/out" 2>&1 &
    job=$!
    sleep 0.5
    kill -USR1 "$job"
    wait "$job"
    status=$?
    [[ $status == 75 ]] || fail "mpirun exited $status, not 75"
    echo "ok: a stop while the ranks start ends every rank with 75" ;;
  stop_in_evaluation)
    # Three steps, then an evaluation of several seconds: the stop lands in it.
    long_eval=("${base[@]}" --latent-dim 2 --epochs 2 --iw-samples 600 --iw-subset 100)
    "$mpiexec" -n "$ranks" "$vae_dist" "${long_eval[@]}" --out "$work/reference" >"$work/out" 2>&1 || fail "the uninterrupted run"
    run_recording "${long_eval[@]}" --out "$work/run" &
    job=$!
    for _ in $(seq 300); do [[ -s $work/run/metrics.jsonl ]] && break; sleep 0.05; done  # epoch 1 is done, epoch 2's evaluation starts
    sleep 1
    victim=$((ranks - 1))
    kill -USR1 "$(cat "$work/pid.$victim")" || fail "rank $victim is not running"
    signalled_at=$(date +%s.%N)
    wait "$job"
    took=$(echo "$(date +%s.%N) - $signalled_at" | bc)
    every_rank_exited 75
    (($(echo "$took < $STOP_BOUND_S" | bc))) || fail "the stop took ${took}s"
    said_once "stopped on request in the evaluation of epoch 2"
    [[ -f $work/run/checkpoints/epoch_0002_step_000003.pt ]] || fail "no checkpoint of epoch 2's training: $(ls "$work/run/checkpoints")"
    "$mpiexec" -n "$ranks" "$vae_dist" --out "$work/run" --resume auto >"$work/out" 2>&1 || fail "the resume"
    /usr/bin/python3 - "$work/reference/metrics.jsonl" "$work/run/metrics.jsonl" <<'PY' || fail "the metrics differ from the uninterrupted run's"
import json, sys
want, got = ([json.loads(line) for line in open(path)] for path in sys.argv[1:])
assert len(want) == len(got) == 2, (len(want), len(got))
for w, g in zip(want, got):
    for key in ("epoch", "step", "test_loss", "test_iw_nll"):
        assert w.get(key) == g.get(key), (key, w.get(key), g.get(key))
    assert abs(w["train_loss"] - g["train_loss"]) <= 1e-9 * w["train_loss"], (w["train_loss"], g["train_loss"])
PY
    echo "ok: every rank stopped in ${took}s inside the evaluation; the resume evaluated epoch 2 as the uninterrupted run did" ;;
  bad_flags)
    refused_flag() {  # FLAG VALUE: every rank exits 2, saying what the flag must be
      run_recording --epochs 1 "$1" "$2" && fail "$1 '$2' was accepted"
      every_rank_exited 2
      grep -q -- "$1: must" "$work/out" || fail "$1 '$2': no reason given"
    }
    refused_flag --seed -1
    refused_flag --data ""
    refused_flag --out ""
    refused_flag --collective-timeout 1e-9
    echo "ok: --seed -1, --data \"\", --out \"\" and --collective-timeout 1e-9 refused with exit status 2" ;;
  *) fail "unknown case $case_name" ;;
esac
