"""Exits 0 when a run's --record-samples files (all ranks and sessions of the run folder together)
hold every training row exactly once per epoch. With --but-one-step, the rows of at most one step
may come twice: a step that a lost rank took, and that the run redid from the survivors'
checkpoint of the step before.

Usage: each_row_once.py RUN_FOLDER ROWS EPOCHS [--but-one-step]
"""
import argparse
import collections
import glob
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("rows", type=int)
    parser.add_argument("epochs", type=int)
    parser.add_argument("--but-one-step", action="store_true")
    args = parser.parse_args()
    counts = collections.defaultdict(collections.Counter)  # epoch → row → times trained
    steps_of = collections.defaultdict(set)                # (epoch, row) → steps it was trained in
    for path in glob.glob(f"{args.folder}/sample_record/rank_*.csv"):
        for line in open(path):
            epoch, step, row = map(int, line.split(","))
            counts[epoch][row] += 1
            steps_of[epoch, row].add(step)
    if sorted(counts) != list(range(1, args.epochs + 1)):
        sys.exit(f"epochs recorded: {sorted(counts)}, expected 1 to {args.epochs}")
    repeated_steps = set()
    for epoch, rows in counts.items():
        missing = set(range(args.rows)) - set(rows)
        if missing:
            sys.exit(f"epoch {epoch}: {len(missing)} rows never trained, e.g. {sorted(missing)[:5]}")
        for row, times in rows.items():
            if times > 2 or (times == 2 and not args.but_one_step):
                sys.exit(f"epoch {epoch}: row {row} trained {times} times")
            if times == 2:
                repeated_steps |= {(epoch, step) for step in steps_of[epoch, row]}
    if len(repeated_steps) > 1:
        sys.exit(f"rows of {len(repeated_steps)} steps came twice: {sorted(repeated_steps)[:5]}")
    print(f"every row once per epoch ({args.epochs} epochs of {args.rows} rows)"
          + (f"; the rows of epoch {min(repeated_steps)[0]}, step {min(repeated_steps)[1] + 1} twice" if repeated_steps else ""))


if __name__ == "__main__":
    main()
