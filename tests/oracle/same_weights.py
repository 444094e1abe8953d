"""Exits 0 when two vae_dist checkpoints hold bitwise the same weights (loaded as a PyTorch user
would, with torch.jit.load); prints the largest difference otherwise.

Usage: same_weights.py A.pt B.pt
"""
import sys

import torch


def main(first, second):
    a = dict(torch.jit.load(first).named_parameters())
    b = dict(torch.jit.load(second).named_parameters())
    if a.keys() != b.keys():
        sys.exit(f"different parameters: {sorted(a)} vs {sorted(b)}")
    worst = max((a[name] - b[name]).abs().max().item() for name in a)
    if not all(torch.equal(a[name], b[name]) for name in a):
        sys.exit(f"weights differ: largest difference {worst:g}")
    print(f"bitwise equal ({len(a)} parameters)")


if __name__ == "__main__":
    main(*sys.argv[1:])
