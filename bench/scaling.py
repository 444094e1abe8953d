"""The scaling driver: strong scaling (fixed global batch, one whole epoch) and weak scaling (fixed
per-rank batch, fixed steps per rank) of vae_dist over 1, 2, 4, … ranks, for the training loop
and for the whole process (start-up, evaluation with the default settings, outputs).

  strong efficiency = T1 / (N · TN)    weak efficiency = T1 / TN

Each configuration runs --rounds times (interleaved; medians reported). Every run appends the line `vae_dist --results` writes (include/vae/run_summary.hpp), labelled
strong or weak; the table is computed from those lines only, so the lines of a Slurm scaling
array (slurm/) print the same table:

  /usr/bin/python3 bench/scaling.py [--max-ranks N] [--oversubscribe-to M] [--per-rank-batch 64]
                                    [--weak-steps 200] [--rounds 2] [--data FILE] [--out DIR]
  /usr/bin/python3 bench/scaling.py --from results.jsonl [--out DIR]     (table only, no runs)

Writes DIR/results.jsonl, DIR/scaling.csv and DIR/scaling.png (default DIR: bench_results/).
Rank counts beyond the cores run oversubscribed and are flagged as such in the table.
"""
import argparse
import csv
import json
import os
import tempfile

from bench_common import DEFAULT_DATA, SCALING_PLOT, VAE_DIST, median, mpirun, print_table, require_built, run


def rank_counts(max_ranks):
    counts, n = [], 1
    while n <= max_ranks:
        counts.append(n)
        n *= 2
    if counts[-1] != max_ranks:
        counts.append(max_ranks)
    return counts


def measure(args, results, scratch):
    per_rank = args.per_rank_batch
    largest = args.max_ranks
    for round_index in range(args.rounds):  # rounds interleave, so each configuration sees the machine in every state
        for ranks in rank_counts(max(args.max_ranks, args.oversubscribe_to)):
            common = [VAE_DIST, "--data", args.data, "--force", "--epochs", "1", "--threads", "1", "--results", results]
            if ranks <= largest:  # strong: the global batch of the largest regular run, split N ways
                run(mpirun(ranks, common + ["--out", tempfile.mkdtemp(dir=scratch), "--global-batch-size", str(per_rank * largest)]),
                    env={"VAE_RESULTS_LABEL": "strong"})
            run(mpirun(ranks, common + ["--out", tempfile.mkdtemp(dir=scratch), "--batch-size", str(per_rank),
                                        "--max-steps", str(args.weak_steps)]), env={"VAE_RESULTS_LABEL": "weak"})
            print(f"round {round_index + 1}: measured {ranks} rank(s)", flush=True)


def medians(lines):
    """One line per rank count, its times and rate the medians of the repeated runs, sorted by ranks."""
    by_ranks = {}
    for line in lines:
        by_ranks.setdefault(line["ranks"], []).append(line)
    merged = []
    for ranks in sorted(by_ranks):
        runs = by_ranks[ranks]
        line = dict(runs[0], runs=len(runs))
        for key in ("train_s", "process_s", "images_per_s"):
            line[key] = median([run_line[key] for run_line in runs])
        merged.append(line)
    return merged


def table(results, out_dir):
    lines = [json.loads(line) for line in open(results) if line.strip()]
    rows, efficiency = [], {}
    for study in ("strong", "weak"):
        runs = medians([line for line in lines if line.get("label") == study])
        if not runs:
            continue
        base = runs[0]
        for line in runs:
            n = line["ranks"] / base["ranks"]
            scale = n if study == "strong" else 1.0
            train_eff = base["train_s"] / (scale * line["train_s"])
            # The whole process includes fixed work (start-up, the evaluation, the pictures) that
            # weak scaling does not grow: its efficiency is a strong-scaling figure only.
            process_eff = base["process_s"] / (scale * line["process_s"]) if study == "strong" else None
            efficiency.setdefault(line["ranks"], {})[study] = (train_eff, process_eff)
            rows.append([study, line["ranks"], line["nodes"], line["global_batch"], line["epochs"] * line["steps_per_epoch"], line["runs"],
                         f"{line['train_s']:.1f}", f"{line['process_s']:.1f}", f"{line['images_per_s']:.0f}",
                         f"{train_eff:.2f}", f"{process_eff:.2f}" if process_eff else "-", "yes" if line["oversubscribed"] else ""])
    print_table(f"vae_dist scaling ({results}; efficiency against the smallest run of each study)",
                ["study", "ranks", "nodes", "global batch", "steps", "runs", "train s", "process s", "images/s", "eff. train",
                 "eff. process", "oversubscribed"], rows)
    csv_path = os.path.join(out_dir, "scaling.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["ranks", "strong: training loop_efficiency", "strong: whole process_efficiency", "weak: training loop_efficiency"])
        for ranks in sorted(efficiency):
            strong, weak = efficiency[ranks].get("strong"), efficiency[ranks].get("weak")
            cells = [f"{strong[0]:.4f}", f"{strong[1]:.4f}"] if strong else ["", ""]
            cells.append(f"{weak[0]:.4f}" if weak else "")
            writer.writerow([ranks] + cells)
    png_path = os.path.join(out_dir, "scaling.png")
    run([SCALING_PLOT, csv_path, png_path, "Measured scaling on one machine (efficiency against the smallest run)"])
    print(f"\nwrote {csv_path} and {png_path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-ranks", type=int, default=os.cpu_count(), help="largest regular run (default: the cores)")
    parser.add_argument("--oversubscribe-to", type=int, default=0, help="also weak-scale up to this many ranks, oversubscribed")
    parser.add_argument("--per-rank-batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each configuration (medians are reported)")
    parser.add_argument("--weak-steps", type=int, default=200, help="steps per rank of each weak-scaling run")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--out", default="bench_results")
    parser.add_argument("--from", dest="from_file", help="only print the table of these result lines (e.g. a Slurm array's)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.from_file:
        table(args.from_file, args.out)
        return
    require_built()
    results = os.path.join(args.out, "results.jsonl")
    if os.path.exists(results):
        os.remove(results)
    with tempfile.TemporaryDirectory() as scratch:
        measure(args, results, scratch)
    table(results, args.out)


if __name__ == "__main__":
    main()
