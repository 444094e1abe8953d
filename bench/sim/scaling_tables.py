"""The tables and the plot of bench/simulate_scaling.sh, from its CSV files in OUT_DIR.

Efficiency is a rank's step without communication over the simulated step (weak scaling: the
same work per rank at every node count; the step's fixed work, the update, is in both), and
T(1 node) / (N · T(N)) for strong scaling at a fixed global batch.

  scaling_tables.py OUT_DIR     (writes OUT_DIR/scaling_simulated.csv and .png)
"""
import csv
import os
import subprocess
import sys

PLOT = os.path.join(os.path.dirname(__file__), "..", "..", "build", "bench", "vae_scaling_plot")
PLATFORMS = {"10GbE": "10 Gbit/s Ethernet", "25GbE": "25 Gbit/s Ethernet", "IB200": "200 Gbit/s InfiniBand"}


def table(title, header, rows):
    print(f"\n{title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def validation(out):
    path = os.path.join(out, "validation.csv")
    if not os.path.exists(path):
        return
    links = {}
    if os.path.exists(os.path.join(out, "links.csv")):
        for rate, bw, lat in csv.reader(open(os.path.join(out, "links.csv"))):
            links[rate] = f"{float(bw.removesuffix('Bps')) * 8 / 1e9:.2f} Gbit/s, {lat} a link"
    rows = []
    for r in csv.DictReader(open(path)):
        measured, simulated = float(r["measured_s"]), float(r["simulated_s"])
        error = (simulated - measured) / measured
        rows.append([r["rate"], links.get(r["rate"], ""), r["hosts"], r["overlap"], f"{measured * 1e3:.1f}", f"{simulated * 1e3:.1f}",
                     f"{error:+.0%}" + ("" if abs(error) <= 0.15 else " (over 15%)")])
    table("Validation: a vae_dist step on namespace hosts (1 rank each, batch 64, 1 thread), measured and simulated",
          ["tc rate", "link as fitted", "hosts", "overlap", "measured ms", "simulated ms", "error"], rows)


def predictions(out):
    path = os.path.join(out, "predictions.csv")
    if not os.path.exists(path):
        return
    runs = list(csv.DictReader(open(path)))
    for r in runs:
        for key in ("nodes", "ranks_per_node", "batch_per_rank"):
            r[key] = int(r[key])
        for key in ("compute_s", "step_s", "bucket_mb"):
            r[key] = float(r[key]) if r[key] else float("nan")

    def find(platform, study, nodes, batch=None, bucket=0.5, overlap="on"):
        for r in runs:
            if (r["platform"], r["study"], r["nodes"], r["bucket_mb"], r["overlap"]) == (platform, study, nodes, bucket, overlap) and (
                    batch is None or r["batch_per_rank"] == batch):
                return r
        return None

    nodes = sorted({r["nodes"] for r in runs})
    plot_rows = {n: {} for n in nodes}
    for platform, described in PLATFORMS.items():
        rows = []
        for n in nodes:
            weak = find(platform, "weak_cpu", n, 64)
            if weak is None:
                continue
            eff = weak["compute_s"] / weak["step_s"]
            before = find(platform, "before_cpu", n, 64)
            strong = find(platform, "strong_cpu", n)
            one = find(platform, "strong_cpu", 1)
            strong_eff = one["step_s"] / (n * strong["step_s"]) if strong and one else float("nan")
            gpu = find(platform, "weak_gpu", n)
            cells = [n, f"{weak['step_s'] * 1e3:.1f}", f"{64 * n / weak['step_s']:,.0f}", f"{eff:.2f}"]
            cells += [f"{before['step_s'] * 1e3:.1f} ({before['compute_s'] / before['step_s']:.2f})" if before else "-"]
            other = find(platform, "weak_cpu", n, 16)
            cells.append(f"{other['compute_s'] / other['step_s']:.2f}" if other else "-")
            cells += [f"{strong['step_s'] * 1e3:.1f}", f"{16384 / strong['step_s']:,.0f}", f"{strong_eff:.2f}"] if strong else ["-"] * 3
            cells += [f"{gpu['step_s'] * 1e3:.2f} ({gpu['compute_s'] / gpu['step_s']:.2f})" if gpu else "-"]
            rows.append(cells)
            plot_rows[n][f"CPU rank {platform}"] = eff
            if before and platform == "10GbE":
                plot_rows[n]["before: CPU rank 10GbE"] = before["compute_s"] / before["step_s"]
            if gpu:
                plot_rows[n][f"8 GPU ranks {platform}"] = gpu["compute_s"] / gpu["step_s"]
        table(f"Prediction, {described}: weak scaling (one CPU rank per node, 64 images per rank unless named), "
              "strong scaling (global batch 16,384), 8 GPU ranks per node",
              ["nodes", "step ms", "images/s", "efficiency", "before: step ms (eff.)", "eff. at 16/rank",
               "strong: step ms", "strong: images/s", "strong: efficiency", "8 GPUs/node: step ms (eff.)"], rows)

    rows = []
    for platform in PLATFORMS:
        for batch in (16, 64):
            reach = [n for n in nodes if (r := find(platform, "weak_cpu", n, batch)) and r["compute_s"] / r["step_s"] >= 0.9]
            largest = max(reach) if reach else 0
            beyond = [n for n in nodes if n > largest]
            rows.append([platform, batch, largest, f"{largest * batch:,}", beyond[0] if beyond else "-"])
    table("Efficiency ≥ 90% (weak scaling, one CPU rank per node): up to how many nodes, at which global batch",
          ["platform", "images per rank", "nodes at ≥ 90%", "global batch there", "first node count below"], rows)

    rows = []
    for platform in PLATFORMS:
        for bucket, overlap in ((0.5, "on"), (2.0, "on"), (8.0, "on"), (0.5, "off")):
            r = find(platform, "bucket_cpu", 1024, 64, bucket, overlap) or find(platform, "weak_cpu", 1024, 64, bucket, overlap)
            if r:
                label = f"{bucket:g} MB" if overlap == "on" else "one fused all-reduce after backward (--no-overlap)"
                rows.append([platform, label, f"{r['step_s'] * 1e3:.1f}", f"{r['compute_s'] / r['step_s']:.2f}"])
    table("The bucket size at 1,024 nodes (one CPU rank each, 64 images per rank)", ["platform", "buckets", "step ms", "efficiency"], rows)

    curves = sorted({name for row in plot_rows.values() for name in row}, key=lambda c: (c.startswith("before"), c.startswith("8"), c))
    csv_path = os.path.join(out, "scaling_simulated.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["nodes"] + [f"{c}_efficiency" for c in curves])
        for n in nodes:
            writer.writerow([n] + [f"{plot_rows[n][c]:.4f}" if c in plot_rows[n] else "" for c in curves])
    png = os.path.join(out, "scaling_simulated.png")
    subprocess.run([PLOT, csv_path, png, "Simulated weak scaling, 64 images per rank"], check=True)
    print(f"\nwrote {csv_path} and {png}")


def main():
    out = sys.argv[1]
    validation(out)
    predictions(out)


if __name__ == "__main__":
    main()
