#!/usr/bin/env bash
# Stop at a step, resume at that step, under mpiexec.
#   preemption_test.sh CASE RANKS MPIEXEC VAE_DIST VAE_DATA
# CASE: stop_resume — SIGUSR1 to one rank mid-epoch 2 of 3: every rank stops at the same step with
#       exit status 75 and a checkpoint of that step; `--resume auto` then ends with bitwise the
#       weights, and the same metrics lines, of a run that never stopped;
#       every_minutes — --checkpoint-every-minutes writes mid-epoch checkpoints, and resuming
#       from one also ends where the uninterrupted run ends;
#       second_sigint — a second Ctrl-C ends the process at once, before any step boundary.
set -uo pipefail
case_name=$1 ranks=$2 mpiexec=$3 vae_dist=$4 vae_data=$5
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
readonly STOP_BOUND_S=20

fail() { echo "FAIL: $*"; echo "--- output ---"; cat "$work"/*.log 2>/dev/null | tail -40; exit 1; }

"$vae_data" synth --out "$work/data.h5" --train 8000 --test 200 >/dev/null || fail "vae_data synth"
common=(--data "$work/data.h5" --epochs 3 --threads 1 --latent-dim 2 --iw-samples 2 --iw-subset 20)

reference() {
  "$mpiexec" -n "$ranks" "$vae_dist" "${common[@]}" --out "$work/reference" >"$work/reference.log" 2>&1 || fail "the uninterrupted run"
}

same_run() {  # run folder: its final weights and metrics are those of the uninterrupted run
  /usr/bin/python3 "$here/../oracle/same_weights.py" "$work/reference/checkpoints/epoch_0003.pt" "$1/checkpoints/epoch_0003.pt" ||
    fail "the resumed run ended with other weights"
  /usr/bin/python3 - "$work/reference/metrics.jsonl" "$1/metrics.jsonl" <<'PY' || fail "the metrics lines differ"
import json, sys
want, got = ([json.loads(line) for line in open(path)] for path in sys.argv[1:])
assert len(want) == len(got) == 3, (len(want), len(got))
for w, g in zip(want, got):
    assert (w["epoch"], w["step"], w["test_loss"]) == (g["epoch"], g["step"], g["test_loss"]), (w, g)
    assert abs(w["train_loss"] - g["train_loss"]) <= 1e-9 * w["train_loss"], (w["train_loss"], g["train_loss"])
PY
}

case $case_name in
  stop_resume)
    reference
    # Each rank records its pid and exit status (OMPI_COMM_WORLD_RANK is only read by this test).
    # SIGTERM is ignored by the wrapper: mpirun terminates the job once the first rank has exited
    # 75, and the wrapper must live to record the status of its own rank.
    "$mpiexec" -n "$ranks" bash -c 'trap "" TERM; "$@" & echo $! > "'"$work"'/pid.$OMPI_COMM_WORLD_RANK"; wait $!; s=$?; echo $s > "'"$work"'/status.$OMPI_COMM_WORLD_RANK"; exit $s' \
      _ "$vae_dist" "${common[@]}" --out "$work/run" >"$work/stopped.log" 2>&1 &
    job=$!
    for _ in $(seq 300); do [[ -s $work/run/metrics.jsonl ]] && break; sleep 0.1; done  # epoch 1 is done
    sleep 0.5
    victim=$((ranks - 1))  # the signal reaches one rank only: the others must stop with it
    kill -USR1 "$(cat "$work/pid.$victim")" 2>/dev/null || fail "rank $victim is not running"
    signalled_at=$SECONDS
    while kill -0 "$job" 2>/dev/null; do
      ((SECONDS - signalled_at > STOP_BOUND_S)) && { kill -9 "$job"; fail "still running ${STOP_BOUND_S}s after SIGUSR1"; }
      sleep 0.1
    done
    for ((r = 0; r < ranks; r++)); do
      [[ $(cat "$work/status.$r" 2>/dev/null) == 75 ]] || fail "rank $r exited $(cat "$work/status.$r" 2>/dev/null), not 75"
    done
    stop=$(ls "$work/run/checkpoints" | grep '_step_') || fail "no checkpoint of the stop step"
    grep -q "stopped on request at epoch" "$work/stopped.log" || fail "no line saying where it stopped"
    "$mpiexec" -n "$ranks" "$vae_dist" --out "$work/run" --resume auto >"$work/resumed.log" 2>&1 || fail "the resumed run"
    grep -q "resumed      at epoch" "$work/resumed.log" || fail "the resumed run did not say where it resumed"
    same_run "$work/run"
    echo "ok: all $ranks ranks stopped with 75 within $((SECONDS - signalled_at))s at $stop; resumed run bitwise equal" ;;
  every_minutes)
    reference
    "$mpiexec" -n "$ranks" "$vae_dist" "${common[@]}" --out "$work/run" --keep 1000 --checkpoint-every-minutes 0.01 >"$work/run.log" 2>&1 ||
      fail "the run with --checkpoint-every-minutes"
    middle=$(ls "$work/run/checkpoints" | grep '^epoch_0002_step_' | head -1)
    [[ -n $middle ]] || fail "no mid-epoch checkpoint in epoch 2: $(ls "$work/run/checkpoints")"
    "$mpiexec" -n "$ranks" "$vae_dist" --out "$work/run" --resume "$work/run/checkpoints/$middle" --force >"$work/resumed.log" 2>&1 ||
      fail "resuming from $middle"
    same_run "$work/run"
    echo "ok: resumed from $middle, bitwise equal" ;;
  second_sigint)
    # Steps of 4096 images last long enough for two Ctrl-C to land inside one.
    "$vae_dist" "${common[@]}" --out "$work/run" --batch-size 4096 >"$work/run.log" 2>&1 &
    job=$!
    for _ in $(seq 300); do grep -q "^  output" "$work/run.log" && break; sleep 0.1; done
    sleep 0.5
    kill -INT "$job"; sleep 0.1; kill -INT "$job"
    signalled_at=$SECONDS
    wait "$job"
    status=$?
    [[ $status == 130 ]] || fail "exit status $status after two SIGINT, not 130 (killed by SIGINT)"
    ((SECONDS - signalled_at <= 2)) || fail "took $((SECONDS - signalled_at))s to stop"
    [[ -z $(ls "$work/run/checkpoints" 2>/dev/null) ]] || fail "a checkpoint was written: the second SIGINT should not wait for one"
    echo "ok: the second SIGINT ended the process at once" ;;
  *) fail "unknown case $case_name" ;;
esac
