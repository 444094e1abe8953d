"""Exits 0 when two runs end with test losses (the last metrics.jsonl line's test_loss, nats per
image) no further apart than --within. Prints both and the difference either way.

Usage: same_test_loss.py A/metrics.jsonl B/metrics.jsonl --within NATS
"""
import argparse
import json
import sys


def last_test_loss(path):
    lines = [line for line in open(path) if line.strip()]
    return json.loads(lines[-1])["test_loss"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--within", type=float, required=True, help="largest difference allowed, nats per image")
    args = parser.parse_args()
    a, b = last_test_loss(args.first), last_test_loss(args.second)
    text = f"test loss {a:.4f} vs {b:.4f} nats/img, {abs(a - b):.4f} apart (allowed {args.within:g})"
    if abs(a - b) > args.within:
        sys.exit(text)
    print(text)


if __name__ == "__main__":
    main()
