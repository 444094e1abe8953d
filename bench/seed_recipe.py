"""The whole-run peer: one training run as one process, the way the original PyTorch tutorial
script (the seed) trains the ConvVAE, plus the evaluation vae_dist makes, so that whole-process
times compare with `build/src/vae_dist --epochs E ...` fairly.

Usage: seed_recipe.py [--data FILE] [--epochs 1] [--batch 64] [--threads 1] [--latent 16]
                      [--iw-samples 100] [--iw-subset 1000] [--iw-every 5] [--out DIR] [--json]
Per epoch: shuffle and train over the whole train split (last partial batch kept; Adam, lr 1e-3,
loss = (BCE over the real pixels + KL) / batch), then the test −ELBO over the whole test split
(no grad, batches of 256), then — every --iw-every epochs and at the last — the
importance-weighted NLL (Burda et al., K = --iw-samples) on --iw-subset test rows taken strided
over the split; then an 8×8 grid of samples from fixed latents, a grid of 32 test images above
their reconstructions (PNG, 2-pixel padding like torchvision's make_grid) and DIR/checkpoint.pt.
Prints one line per epoch, then a summary line or, with --json, one JSON object line (the last)
with the times: process_s (from this script's first line to its end: the interpreter's own start-up is not in it),
train_s (the training loops), eval_s (test −ELBO and IW-NLL), output_s (pictures, checkpoint).
"""
import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "oracle"))
from conv_vae_oracle import ConvVAE  # noqa: E402

CANVAS = 32         # the conv model's input side; smaller images are zero-padded, centred
EVAL_BATCH = 256    # test −ELBO batch
IW_BATCH = 64       # images per IW batch
IW_CHUNK = 32       # importance samples decoded at once
GRID_PADDING = 2
LOG_TWO_PI = math.log(2 * math.pi)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.path.expanduser("~/.cache/vae_dist/fashion-mnist.h5"))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--latent", type=int, default=16)
    parser.add_argument("--iw-samples", type=int, default=100, help="importance samples K per image")
    parser.add_argument("--iw-subset", type=int, default=1000, help="test rows the IW estimate uses")
    parser.add_argument("--iw-every", type=int, default=5, help="epochs between IW estimates (one is made at the end)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="seed_recipe_out", help="folder for pictures and checkpoint.pt")
    parser.add_argument("--json", action="store_true", help="print one JSON object line at the end")
    return parser.parse_args()


def load_splits(path):
    """Both splits, uint8 N×C×H×W, wholly in memory."""
    if not os.path.isfile(path):
        raise SystemExit(f"no dataset at {path} (vae_data convert writes the default one)")
    with h5py.File(path, "r") as f:
        return torch.from_numpy(f["train/images"][...]), torch.from_numpy(f["test/images"][...])


class Canvas:
    """Places images on the 32×32 canvas and crops the real pixels back out."""

    def __init__(self, height, width):
        if height > CANVAS or width > CANVAS:
            raise SystemExit(f"images of {height}x{width} do not fit the conv model's {CANVAS}x{CANVAS} canvas")
        top, left = (CANVAS - height) // 2, (CANVAS - width) // 2
        self.pad = (left, CANVAS - width - left, top, CANVAS - height - top)
        self.crop = (Ellipsis, slice(top, top + height), slice(left, left + width))

    def input(self, images_u8):
        return F.pad(images_u8.float() / 255.0, self.pad)


def reconstruction_nll(logits, x, canvas):
    """−log p(x|z) per image: BCE summed over the real pixels."""
    bce = F.binary_cross_entropy_with_logits(logits[canvas.crop], x[canvas.crop], reduction="none")
    return bce.flatten(1).sum(1)


def gaussian_log_density(z, mean, log_var):
    return (-0.5 * (LOG_TWO_PI + log_var + (z - mean).pow(2) * torch.exp(-log_var))).sum(-1)


def train_epoch(model, optimizer, images, canvas, batch, latent, shuffle):
    """The seed's training loop; returns the mean loss per image."""
    model.train()
    order = torch.randperm(images.shape[0], generator=shuffle)
    total = 0.0
    for start in range(0, images.shape[0], batch):
        x = canvas.input(images[order[start:start + batch]])
        eps = torch.randn(x.shape[0], latent)
        optimizer.zero_grad()
        reconstruction, mu, log_var = model(x, eps)
        bce = F.binary_cross_entropy(reconstruction[canvas.crop], x[canvas.crop], reduction="sum")
        kld = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
        loss = (bce + kld) / x.shape[0]
        loss.backward()
        optimizer.step()
        total += loss.item() * x.shape[0]
    return total / images.shape[0]


@torch.no_grad()
def test_loss(model, images, canvas, latent):
    """−ELBO per image over the whole test split, one ε draw per image."""
    model.eval()
    total = 0.0
    for start in range(0, images.shape[0], EVAL_BATCH):
        x = canvas.input(images[start:start + EVAL_BATCH])
        mu, log_var = model.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * log_var)
        kld = -0.5 * (1 + log_var - mu.pow(2) - log_var.exp()).sum(1)
        total += (reconstruction_nll(model.decode_logits(z), x, canvas) + kld).sum().item()
    return total / images.shape[0]


@torch.no_grad()
def iw_nll_batch(model, x, canvas, samples):
    """−log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x), per image of the batch."""
    mu, log_var = model.encode(x)
    batch, latent = mu.shape
    std = torch.exp(0.5 * log_var)
    log_weights = []
    for start in range(0, samples, IW_CHUNK):
        k = min(IW_CHUNK, samples - start)
        z = mu.unsqueeze(0) + torch.randn(k, batch, latent) * std.unsqueeze(0)  # [k, B, L]
        logits = model.decode_logits(z.reshape(k * batch, latent))
        targets = x.unsqueeze(0).expand(k, *x.shape).reshape(logits.shape)
        log_px = -reconstruction_nll(logits, targets, canvas).view(k, batch)
        log_pz = gaussian_log_density(z, torch.zeros_like(z), torch.zeros_like(z))
        log_qz = gaussian_log_density(z, mu.unsqueeze(0), log_var.unsqueeze(0))
        log_weights.append(log_px + log_pz - log_qz)
    return -(torch.logsumexp(torch.cat(log_weights), 0) - math.log(samples))


def iw_nll(model, images, canvas, samples, subset):
    """Mean IW-NLL over S = min(subset, M) test rows, row floor(i*M/S) for i < S."""
    model.eval()
    rows = images.shape[0]
    count = min(subset, rows)
    chosen = images[torch.tensor([i * rows // count for i in range(count)])]
    total = 0.0
    for start in range(0, count, IW_BATCH):
        total += iw_nll_batch(model, canvas.input(chosen[start:start + IW_BATCH]), canvas, samples).sum().item()
    return total / count


def grid_image(probabilities, nrow):
    """torchvision.utils.make_grid's layout (2-pixel black padding) as a greyscale or RGB PIL image."""
    pixels = probabilities.mul(255).round().clamp(0, 255).to(torch.uint8).numpy()  # N×C×H×W
    count, channels, height, width = pixels.shape
    columns = min(nrow, count)
    rows = (count + columns - 1) // columns
    grid = np.zeros((rows * (height + GRID_PADDING) + GRID_PADDING, columns * (width + GRID_PADDING) + GRID_PADDING,
                     channels), dtype=np.uint8)
    for k in range(count):
        top = (k // columns) * (height + GRID_PADDING) + GRID_PADDING
        left = (k % columns) * (width + GRID_PADDING) + GRID_PADDING
        grid[top:top + height, left:left + width] = pixels[k].transpose(1, 2, 0)
    return Image.fromarray(grid[:, :, 0] if channels == 1 else grid)


@torch.no_grad()
def write_outputs(model, fixed_z, test_images, canvas, out, epoch):
    model.eval()
    samples = torch.sigmoid(model.decode_logits(fixed_z))[canvas.crop]
    grid_image(samples, 8).save(os.path.join(out, f"samples_epoch{epoch:03d}.png"))
    originals = test_images[:32]
    mu, _ = model.encode(canvas.input(originals))
    reconstructions = torch.sigmoid(model.decode_logits(mu))[canvas.crop]
    both = torch.cat([originals.float() / 255.0, reconstructions])
    grid_image(both, 8).save(os.path.join(out, f"reconstructions_epoch{epoch:03d}.png"))
    torch.save(model.state_dict(), os.path.join(out, "checkpoint.pt"))


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_images, test_images = load_splits(args.data)
    canvas = Canvas(train_images.shape[2], train_images.shape[3])
    model = ConvVAE(latent_dim=args.latent, image_channels=train_images.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    shuffle = torch.Generator().manual_seed(args.seed + 1)
    fixed_z = torch.randn(64, args.latent, generator=torch.Generator().manual_seed(args.seed + 2))
    os.makedirs(args.out, exist_ok=True)

    train_s = eval_s = output_s = 0.0
    train, test, iw = float("nan"), float("nan"), float("nan")
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        train = train_epoch(model, optimizer, train_images, canvas, args.batch, args.latent, shuffle)
        t1 = time.perf_counter()
        test = test_loss(model, test_images, canvas, args.latent)
        if epoch % args.iw_every == 0 or epoch == args.epochs:
            iw = iw_nll(model, test_images, canvas, args.iw_samples, args.iw_subset)
        t2 = time.perf_counter()
        write_outputs(model, fixed_z, test_images, canvas, args.out, epoch)
        t3 = time.perf_counter()
        train_s, eval_s, output_s = train_s + t1 - t0, eval_s + t2 - t1, output_s + t3 - t2
        iw_text = f"  IW-NLL {iw:.2f}" if epoch % args.iw_every == 0 or epoch == args.epochs else ""
        print(f"seed recipe: epoch {epoch}/{args.epochs}  train {train:.2f}  test {test:.2f}{iw_text} nats/image"
              f"  ({t1 - t0:.1f} s train, {t2 - t1:.1f} s eval, {t3 - t2:.2f} s output)", flush=True)

    process_s = time.perf_counter() - PROCESS_START
    if args.json:
        print(json.dumps({"peer": "seed_recipe", "epochs": args.epochs, "batch": args.batch, "threads": args.threads,
                          "train_s": round(train_s, 3), "eval_s": round(eval_s, 3), "output_s": round(output_s, 3),
                          "process_s": round(process_s, 3), "train_loss": round(train, 4),
                          "test_loss": round(test, 4), "test_iw_nll": round(iw, 4)}), flush=True)
    else:
        print(f"seed recipe: {process_s:.1f} s in all ({train_s:.1f} s train, {eval_s:.1f} s eval, "
              f"{output_s:.2f} s output), {args.threads} thread(s)", flush=True)


if __name__ == "__main__":
    main()
