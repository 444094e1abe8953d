"""Exits 0 when two vae_dist checkpoints hold the same weights (loaded as a PyTorch user would,
with torch.jit.load): bitwise, or with --within T no parameter further apart than T, or with
--median-within M the median difference over all weights at most M. Prints the largest and the
median difference.

The median is the measure for runs that differ in float summation order (other rank counts):
Adam's m/√v turns rounding in a near-zero gradient into a step of up to lr, so a few weights (or a
collapsed encoder's many) wander far while the typical weight stays within rounding; a different
sample order or a lost step moves the typical weight by lr-sized steps (tests/mpi/rank_count_test.sh
has the figures).

Usage: same_weights.py A.pt B.pt [--within T | --median-within M]
"""
import argparse
import sys

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--within", type=float, default=0.0, help="largest absolute difference allowed (0: bitwise)")
    parser.add_argument("--median-within", type=float, default=None, help="largest median absolute difference allowed")
    args = parser.parse_args()
    a = dict(torch.jit.load(args.first).named_parameters())
    b = dict(torch.jit.load(args.second).named_parameters())
    if a.keys() != b.keys():
        sys.exit(f"different parameters: {sorted(a)} vs {sorted(b)}")
    differences = torch.cat([(a[name] - b[name]).abs().flatten() for name in a])
    worst, median = differences.max().item(), differences.median().item()
    if args.median_within is not None:
        if median > args.median_within:
            sys.exit(f"weights differ by {median:g} in the median, more than {args.median_within:g} (largest difference {worst:g})")
        print(f"median difference {median:.3g} (allowed {args.median_within:g}), largest {worst:.3g}")
    elif args.within == 0.0:
        if not all(torch.equal(a[name], b[name]) for name in a):
            sys.exit(f"weights differ: largest difference {worst:g}")
        print(f"bitwise equal ({len(a)} parameters)")
    elif worst > args.within:
        sys.exit(f"weights differ by up to {worst:g}, more than {args.within:g}")
    else:
        print(f"largest difference {worst:.3g} (allowed {args.within:g})")


if __name__ == "__main__":
    main()
