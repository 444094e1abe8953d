"""The peer driver: vae_dist against what its users would otherwise run, one after the other in
one run (A B A B …), same model (ConvVAE, latent 64 unless --latent says otherwise), batch,
optimizer (Adam 1e-3), threads and data; medians and ratios.
  (a) one rank's training step at batch 64: vae_bench BM_TrainStep (the fast path; with --kernels
      torch, LibTorch's) vs PyTorch eager (bench/pytorch_peer.py)
  (b) two ranks: `mpirun -n 2 vae_dist` vs PyTorch DistributedDataParallel (gloo) on 2 processes
      (bench/ddp_peer.py), training images per second
  (c) one Fashion-MNIST epoch as a whole process, evaluation and outputs included: `vae_dist
      --epochs 1` vs the seed's recipe in PyTorch eager (bench/seed_recipe.py), wall seconds

Usage: /usr/bin/python3 bench/compare_peers.py [--rounds 2] [--steps 300] [--data FILE] [--only a,b,c] [--latent 64]
                                              [--kernels fast|torch] [--threads 1]
Ratios > 1 mean vae_dist is faster. Every figure is --threads threads per process (default 1).
"""
import argparse
import json
import os
import re
import tempfile

from bench_common import DEFAULT_DATA, PYTHON, ROOT, VAE_BENCH, VAE_DIST, median, mpirun, print_table, require_built, run

BENCH = os.path.join(ROOT, "bench")


def step_vae_dist(args, scratch):
    fast = 1 if args.kernels == "fast" else 0
    _, out = run([VAE_BENCH, f"--benchmark_filter=^BM_TrainStep/batch:64/latent:{args.latent}/fast:{fast}$", "--benchmark_min_time=3",
                  "--benchmark_format=json"], env={"VAE_BENCH_THREADS": str(args.threads)})
    return json.loads(out)["benchmarks"][0]["real_time"]  # ms per step


def step_pytorch(args, scratch):
    _, out = run([PYTHON, os.path.join(BENCH, "pytorch_peer.py"), "--threads", str(args.threads), "--latent", str(args.latent),
                  "--steps", str(args.steps)])
    return float(re.search(r"\(([\d.]+) ms per step", out).group(1))


def same_settings(args):
    """vae_dist's flags for what the peers are given too."""
    return ["--threads", str(args.threads), "--latent-dim", str(args.latent), "--kernels", args.kernels]


def two_ranks_vae_dist(args, scratch):
    run_dir = tempfile.mkdtemp(dir=scratch)
    run(mpirun(2, [VAE_DIST, "--data", args.data, "--out", run_dir, "--force", "--epochs", "1", "--max-steps", str(args.steps),
                   "--iw-samples", "1", "--iw-subset", "8"] + same_settings(args)))
    with open(os.path.join(run_dir, "metrics.jsonl")) as metrics:
        return json.loads(metrics.readlines()[-1])["images_per_s"]


def two_ranks_ddp(args, scratch):
    _, out = run([PYTHON, os.path.join(BENCH, "ddp_peer.py"), "--nproc", "2", "--data", args.data, "--steps", str(args.steps),
                  "--threads", str(args.threads), "--latent", str(args.latent), "--json"])
    return json.loads(out.strip().splitlines()[-1])["images_per_s"]


def epoch_vae_dist(args, scratch):
    seconds, _ = run([VAE_DIST, "--data", args.data, "--out", tempfile.mkdtemp(dir=scratch), "--force", "--epochs", "1"]
                     + same_settings(args))
    return seconds


def epoch_seed_recipe(args, scratch):
    seconds, _ = run([PYTHON, os.path.join(BENCH, "seed_recipe.py"), "--data", args.data, "--out", tempfile.mkdtemp(dir=scratch),
                      "--epochs", "1", "--threads", str(args.threads), "--latent", str(args.latent), "--json"])
    return seconds


# name, what is measured, unit, vae_dist side, peer side, whether a larger figure is better
COMPARISONS = {
    "a": ("(a) one rank, training step, batch 64", "PyTorch eager", "ms/step", step_vae_dist, step_pytorch, False),
    "b": ("(b) 2 ranks × batch 64, training", "PyTorch DDP gloo, 2 proc", "images/s", two_ranks_vae_dist, two_ranks_ddp, True),
    "c": ("(c) one epoch as a process, 1 rank", "seed recipe, eager", "s", epoch_vae_dist, epoch_seed_recipe, False),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="A B pairs per comparison")
    parser.add_argument("--steps", type=int, default=300, help="timed steps of (a)'s peer and of (b)")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--only", default="a,b,c", help="comma-separated subset of a,b,c")
    parser.add_argument("--latent", type=int, default=64, help="latent size of every model")
    parser.add_argument("--kernels", choices=["fast", "torch"], default="fast", help="vae_dist's CPU kernels")
    parser.add_argument("--threads", type=int, default=1, help="threads per process, both sides")
    args = parser.parse_args()
    require_built()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for key in args.only.split(","):
            title, peer, unit, ours, theirs, larger_is_better = COMPARISONS[key]
            a, b = [], []
            for _ in range(args.rounds):  # A B A B: both sides see the machine in the same states
                a.append(ours(args, scratch))
                b.append(theirs(args, scratch))
            ratio = median(a) / median(b) if larger_is_better else median(b) / median(a)
            rows.append([title, peer, unit, " / ".join(f"{v:.1f}" for v in a), " / ".join(f"{v:.1f}" for v in b),
                         f"{median(a):.1f}", f"{median(b):.1f}", f"{ratio:.2f}×"])
            print(f"{title}: vae_dist {a}, {peer} {b}", flush=True)
    print_table(f"vae_dist against its peers, {args.rounds} rounds A B, {os.cpu_count()} cores (ratio > 1: vae_dist faster)",
                ["comparison", "peer", "unit", "vae_dist runs", "peer runs", "vae_dist", "peer", "ratio"], rows)


if __name__ == "__main__":
    main()
