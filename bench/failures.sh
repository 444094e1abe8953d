#!/usr/bin/env bash
# What a node's death costs: a run of MINUTES on 3 network-namespace hosts of one rank each
# (tests/multihost/hosts.sh), launched from a fourth by launch/vae_run.sh --max-restarts, with a
# host crashing every EVERY minutes at a random moment (its link goes down, every process on it
# is killed, and the link comes back at once: a spare in the dead node's place, so that every
# restart runs 3 ranks, as the failure-free steps did). Twice: with the survivors'
# checkpoint of the last step (vae_dist's default), and with only the checkpoints of each epoch's
# end (--no-failure-checkpoint). Per death: the seconds from the crash to training again (the
# restarted job's configuration table, printed just before its first step), and the steps redone
# (the last step in the sample record after the crash, plus the one in flight that never
# completed, minus the step the restart resumed from).
# Goodput = useful training time / wall time, where useful = the steps the final model holds ×
# the seconds of a step without failures (from the epochs no crash touched).
# The data: vae_data's synthetic images, --rows of them (default 480,000, eight times
# Fashion-MNIST: an epoch of minutes here, as on real datasets, so that an epoch's end is not a
# checkpoint every few seconds). Needs root (network namespaces); prints SKIPPED otherwise.
#   sudo bash bench/failures.sh [--minutes 15] [--every 3] [--rows 480000] [--out DIR] [-- vae_dist flags…]
# Writes DIR/failures_<mode>.log, DIR/failures_<mode>.metrics.jsonl and DIR/failures.json
# (default DIR: bench_results/).
set -uo pipefail
minutes=15 every=3 rows=480000 out=bench_results
while (($#)); do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "failures.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=$(realpath -m "$out")
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p "$out"
source launch/vae_env.sh
source tests/multihost/hosts.sh
work=$(mktemp -d)
trap 'stop_hosts; rm -rf "$work"' EXIT
HOSTS_SLOTS=1 start_hosts 4 "$work" || exit 0
head -n 3 "$work/hostfile" >"$work/ranks_hostfile"  # host 4 only launches
build/datasets/vae_data synth --out "$work/data.h5" --train "$rows" --test 1000 >/dev/null || { echo "vae_data synth failed"; exit 1; }
flags=(--data "$work/data.h5" --latent-dim 16 --epochs 1000 --iw-every 1000 --keep 2 --record-samples "$@")

# Host I crashes: link down (no farewell packet), every process killed, link up again.
crash_host() {
  local ns="${hosts_tag}h$1" pids
  in_switch ip link set "$(host_link "$1")" down
  for _ in 1 2 3; do
    pids=$(ip netns pids "$ns")
    [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
    sleep 0.1
  done
  in_switch ip link set "$(host_link "$1")" up
}

# The highest global step (epoch − 1) × steps per epoch + step + 1 in the run's sample record.
last_recorded_step() {  # RUN STEPS_PER_EPOCH
  cat "$1"/sample_record/rank_*.csv 2>/dev/null | awk -F, -v spe="$2" '{ s = ($1 - 1) * spe + $2 + 1; if (s > m) m = s } END { print m + 0 }'
}

run_mode() {  # MODE EXTRA_FLAGS…
  local mode=$1 run=$work/run_$1 log=$out/failures_$1.log
  shift
  rm -rf "$run"
  : >"$work/deaths_$mode"
  host_run 4 env OMPI_MCA_plm_rsh_agent="$work/rsh_agent" OMPI_MCA_btl=tcp,vader,self \
    OMPI_MCA_btl_tcp_if_include=$HOSTS_SUBNET.0/24 OMPI_MCA_oob_tcp_if_include=$HOSTS_SUBNET.0/24 \
    bash launch/vae_run.sh --hostfile "$work/ranks_hostfile" --oversubscribe --max-restarts 1000 -t 1 -- \
    "${flags[@]}" "$@" --out "$run" 2>&1 | while IFS= read -r line; do printf '%.3f %s\n' "$(date +%s.%N)" "$line"; done >"$log" &
  local start
  start=$(date +%s.%N)
  until grep -q "steps/epoch" "$log" 2>/dev/null; do sleep 0.2; done
  local spe
  spe=$(grep -m1 -o "steps/epoch  [0-9]*" "$log" | awk '{print $2}')
  echo "$spe" >"$work/spe_$mode"
  local death=1 end=$((minutes * 60))
  while true; do
    local at=$((death * every * 60 - every * 30 + RANDOM % (every * 30)))  # somewhere in the second half of each period
    ((at < end)) || break
    while (($(date +%s) - ${start%.*} < at)); do sleep 0.5; done
    local victim=$((1 + RANDOM % 3)) step crashed_at
    crashed_at=$(date +%s.%N)
    crash_host "$victim"
    step=$(last_recorded_step "$run" "$spe")  # the survivors are stuck in that step's collectives
    echo "$crashed_at $victim $step" >>"$work/deaths_$mode"
    echo "  $mode: crash $death of host $victim at $((at / 60)):$(printf %02d $((at % 60))), step $step" >&2
    death=$((death + 1))
  done
  while (($(date +%s) - ${start%.*} < end)); do sleep 0.5; done
  pkill -TERM -f "launch/vae_run.sh --hostfile $work/ranks_hostfile" 2>/dev/null  # a stop: vae_dist saves its step and exits 75
  wait
  echo "$start $(date +%s.%N) $(last_recorded_step "$run" "$spe")" >"$work/span_$mode"
  cp "$run/metrics.jsonl" "$out/failures_$mode.metrics.jsonl" 2>/dev/null
}

echo "measuring: $minutes min per mode, a crash every $every min, 3 hosts × 1 rank, $rows images (logs in $out)" >&2
run_mode jit
run_mode epoch_end --no-failure-checkpoint

/usr/bin/python3 - "$work" "$out" <<'TABLE'
import json, re, statistics, sys
work, out = sys.argv[1], sys.argv[2]
rows = {}
for mode in ("jit", "epoch_end"):
    spe = int(open(f"{work}/spe_{mode}").read())
    start, end, final_step = open(f"{work}/span_{mode}").read().split()
    start, end, final_step = float(start), float(end), int(final_step)
    log = [l.split(" ", 1) for l in open(f"{out}/failures_{mode}.log") if " " in l]
    tables = [float(t) for t, text in log if text.startswith("  resumed      at epoch")]
    resumed = [tuple(map(int, m.groups())) for _, text in log for m in [re.match(r"  resumed      at epoch (\d+), step (\d+)", text)] if m]
    deaths = [l.split() for l in open(f"{work}/deaths_{mode}")]
    per_death = []
    for when, _, step_at_death in deaths:
        when, step_at_death = float(when), int(step_at_death)
        after = [(t, r) for t, r in zip(tables, resumed) if t > when]
        if not after:
            continue
        t, (epoch, step) = after[0]
        per_death.append((t - when, step_at_death + 1 - ((epoch - 1) * spe + step)))  # + the step in flight, never completed
    # A step without failures: the epochs whose line came before the first crash.
    metrics = [json.loads(l) for l in open(f"{out}/failures_{mode}.metrics.jsonl")] if final_step else []
    first = float(deaths[0][0]) - start if deaths else float("inf")
    clean = [m for m in metrics if m["elapsed_s"] < first] or metrics[:1]
    step_s = statistics.median(m["epoch_s"] / spe for m in clean)
    wall = end - start
    rows[mode] = dict(deaths=len(per_death), recovery_s=[round(r, 1) for r, _ in per_death], steps_redone=[s for _, s in per_death],
                      final_step=final_step, step_s=step_s, wall_s=wall, goodput=final_step * step_s / wall)
json.dump(rows, open(f"{out}/failures.json", "w"), indent=1)
print(f"{'checkpoints':<26} {'crashes':>7} {'recovery s (median, max)':>25} {'steps redone (median, max)':>27} {'goodput':>8}")
for mode, name in (("jit", "last step (default)"), ("epoch_end", "epoch ends only")):
    r = rows[mode]
    rec, red = r["recovery_s"] or [0], r["steps_redone"] or [0]
    print(f"{name:<26} {r['deaths']:>7} {statistics.median(rec):>15.1f}, {max(rec):>7.1f} {statistics.median(red):>17.0f}, {max(red):>7d} {r['goodput']:>8.0%}")
print(f"(a step without failures: {rows['jit']['step_s'] * 1000:.0f} ms; goodput = steps in the final model × that / wall time)")
TABLE
