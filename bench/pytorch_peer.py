"""The peer: the same ConvVAE training step in PyTorch eager (Debian's python3-torch, the same
LibTorch 1.13 underneath), timed like bench/train_step_bench.cpp's BM_TrainStep.

Usage: pytorch_peer.py [--batch 64] [--latent 64] [--steps 200] [--threads 1]
Prints images per second over the timed steps (after 20 untimed warm-up steps).
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "oracle"))
from conv_vae_oracle import ConvVAE  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--latent", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = ConvVAE(latent_dim=args.latent)
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = F.pad(torch.rand(args.batch, 1, 28, 28), (2, 2, 2, 2))
    eps = torch.randn(args.batch, args.latent)
    crop = (slice(None), slice(None), slice(2, 30), slice(2, 30))

    def step():
        adam.zero_grad()
        reconstruction, mu, log_var = model(x, eps)
        bce = F.binary_cross_entropy(reconstruction[crop], x[crop], reduction="sum")
        kld = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
        ((bce + kld) / args.batch).backward()
        adam.step()

    for _ in range(20):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(f"pytorch eager: {args.steps * args.batch / seconds:.0f} images/s "
          f"({1000 * seconds / args.steps:.2f} ms per step, batch {args.batch}, {args.threads} thread(s))")


if __name__ == "__main__":
    main()
