#!/usr/bin/env bash
# bench/scaling.py --from: the table, CSV and plot from result lines alone (as a Slurm scaling
# array leaves them), with repeated runs (medians) and a study that has no runs at all.
#   scaling_table_test.sh SOURCE_DIR        (needs the built vae_scaling_plot in SOURCE_DIR/build)
set -euo pipefail
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
line() {  # label ranks train_s process_s
  echo "{\"label\":\"$1\",\"ranks\":$2,\"nodes\":1,\"threads\":1,\"per_rank_batch\":64,\"global_batch\":128,\"epochs\":1,\"steps_per_epoch\":469,\"train_s\":$3,\"test_s\":1,\"iw_s\":10,\"process_s\":$4,\"images_per_s\":3000,\"host\":\"n\",\"cores\":2,\"oversubscribed\":false}"
}
{ line strong 1 40 60; line strong 2 21 32; line strong 2 19 30; line strong 2 99 99; line strong 4 10 16; line weak 1 8 32; line weak 2 10 20; } >"$work/results.jsonl"
/usr/bin/python3 "$source_dir/bench/scaling.py" --from "$work/results.jsonl" --out "$work/out" >"$work/table.txt"
grep -q "strong      2      1           128    469     3" "$work/table.txt" || { cat "$work/table.txt"; echo "FAIL: 3 runs of 2 ranks"; exit 1; }
# Medians of 2 ranks: train 21 s, process 32 s → strong efficiency 40/(2·21) and 60/(2·32).
# Weak: the training loop's 8/10; the whole process (its fixed evaluation shared out: 32 → 20 s)
# is no weak-scaling figure, and stays out of the CSV and the table.
grep -qx "2,0.9524,0.9375,0.8000" "$work/out/scaling.csv" || { cat "$work/out/scaling.csv"; echo "FAIL: 2-rank efficiencies"; exit 1; }
grep -qx "4,1.0000,0.9375," "$work/out/scaling.csv" || { cat "$work/out/scaling.csv"; echo "FAIL: 4-rank efficiencies"; exit 1; }
grep -E "^ *weak +2 " "$work/table.txt" | grep -Eq " 0.80 +- " || { cat "$work/table.txt"; echo "FAIL: the weak row shows a whole-process efficiency"; exit 1; }
[[ -s $work/out/scaling.png ]] || { echo "FAIL: no plot"; exit 1; }
echo "ok: table, medians, CSV and plot from result lines"
