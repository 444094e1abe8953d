"""Exits 0 when two vae_dist checkpoints hold the same weights (loaded as a PyTorch user would,
with torch.jit.load): bitwise, or with --within T no parameter further apart than T. Prints the
largest difference either way.

Usage: same_weights.py A.pt B.pt [--within T]
"""
import argparse
import sys

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--within", type=float, default=0.0, help="largest absolute difference allowed (0: bitwise)")
    args = parser.parse_args()
    a = dict(torch.jit.load(args.first).named_parameters())
    b = dict(torch.jit.load(args.second).named_parameters())
    if a.keys() != b.keys():
        sys.exit(f"different parameters: {sorted(a)} vs {sorted(b)}")
    worst = max((a[name] - b[name]).abs().max().item() for name in a)
    if args.within == 0.0:
        if not all(torch.equal(a[name], b[name]) for name in a):
            sys.exit(f"weights differ: largest difference {worst:g}")
        print(f"bitwise equal ({len(a)} parameters)")
    elif worst > args.within:
        sys.exit(f"weights differ by up to {worst:g}, more than {args.within:g}")
    else:
        print(f"largest difference {worst:.3g} (allowed {args.within:g})")


if __name__ == "__main__":
    main()
