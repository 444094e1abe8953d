"""The data-parallel peer: the ConvVAE training step under PyTorch DistributedDataParallel (gloo,
CPU), the way a Python user would scale the model; compare with `mpirun -n W build/src/vae_dist`.

Usage: ddp_peer.py --nproc 2 [--data FILE] [--batch 64] [--steps 300] [--threads 1] [--latent 16] [--json]
  --nproc W starts W ranks of this script on this machine (RANK, WORLD_SIZE, MASTER_ADDR and
  MASTER_PORT set for each, a free port) and waits for them: what torchrun does, without it.
Other launches: by hand, one process per rank with the variables set, e.g.
  export MASTER_ADDR=127.0.0.1 MASTER_PORT=29517 WORLD_SIZE=2
  RANK=0 /usr/bin/python3 bench/ddp_peer.py ... & RANK=1 /usr/bin/python3 bench/ddp_peer.py ...; wait
or torchrun, which in Debian's torch 1.13 under Python 3.11 fails with its defaults
(AttributeError: 'NoneType' object has no attribute 'get' in to_map: Std.from_str("0") finds no
member, as Python 3.11 no longer iterates zero-valued flags) and so needs --redirects 1 --tee 1;
rank 0's line then comes prefixed with "[default0]:":
  /usr/bin/python3 -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 1 --tee 1 \
      bench/ddp_peer.py ...
With no --nproc and no RANK/WORLD_SIZE set it runs as one process, a world of one.

Each rank reads only its contiguous shard of /train/images (rows [r*N//W, (r+1)*N//W)) into
memory, shuffles it every epoch with a generator seeded per rank, and takes --batch images per
step (the partial batch at a shard's end is dropped, the shard cycles as often as needed).
After --warmup untimed steps, --steps steps are timed between two barriers. Rank 0 prints
images per second over all ranks, or with --json one JSON object line.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

import h5py
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "oracle"))
from conv_vae_oracle import ConvVAE  # noqa: E402

CANVAS = 32  # the conv model's input side; smaller images are zero-padded, centred


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.path.expanduser("~/.cache/vae_dist/fashion-mnist.h5"))
    parser.add_argument("--batch", type=int, default=64, help="images per rank per step")
    parser.add_argument("--steps", type=int, default=300, help="timed steps")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps before the timed ones")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads per process")
    parser.add_argument("--latent", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object line instead")
    parser.add_argument("--nproc", type=int, default=0, help="start this many ranks here (instead of torchrun)")
    return parser.parse_args()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_ranks(nproc):
    """Runs this script as ranks 0..nproc-1 and returns the first failure's exit status (0 if none).
    A rank that fails ends the others, which would otherwise wait for it at a collective."""
    port = free_port()
    ranks = []
    for rank in range(nproc):
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(nproc),
                   LOCAL_WORLD_SIZE=str(nproc), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        ranks.append(subprocess.Popen([sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env=env))
    status = 0
    running = list(ranks)
    while running:
        for process in list(running):
            code = process.poll()
            if code is None:
                continue
            running.remove(process)
            if code != 0 and status == 0:
                status = 128 - code if code < 0 else code  # killed by signal n: 128+n, as a shell says
                for other in running:
                    other.terminate()
        time.sleep(0.05)
    return status


def init_distributed():
    """Joins the gloo process group from the environment (torchrun's or set by hand)."""
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29517")
    dist.init_process_group(backend="gloo", init_method="env://")
    return dist.get_rank(), dist.get_world_size()


def load_shard(path, rank, world):
    """This rank's contiguous rows of /train/images, uint8 N×C×H×W."""
    with h5py.File(path, "r") as f:
        images = f["train/images"]
        rows = images.shape[0]
        lo, hi = rank * rows // world, (rank + 1) * rows // world
        return torch.from_numpy(images[lo:hi])


def padding_of(shard):
    """(left, right, top, bottom) zero padding that centres an image on the 32×32 canvas."""
    height, width = shard.shape[2], shard.shape[3]
    if height > CANVAS or width > CANVAS:
        raise SystemExit(f"images of {height}x{width} do not fit the conv model's {CANVAS}x{CANVAS} canvas")
    top, left = (CANVAS - height) // 2, (CANVAS - width) // 2
    return (left, CANVAS - width - left, top, CANVAS - height - top)


def batches(shard, batch, generator):
    """Endless full batches of shard rows, reshuffled every pass."""
    if shard.shape[0] < batch:
        raise SystemExit(f"a shard of {shard.shape[0]} images is smaller than one batch of {batch}")
    while True:
        order = torch.randperm(shard.shape[0], generator=generator)
        for start in range(0, shard.shape[0] - batch + 1, batch):
            yield shard[order[start:start + batch]]


def make_step(model, optimizer, pad, latent):
    left, _, top, _ = pad
    crop = (slice(None), slice(None), slice(top, CANVAS - pad[3]), slice(left, CANVAS - pad[1]))

    def step(images):
        x = F.pad(images.float() / 255.0, pad)
        eps = torch.randn(x.shape[0], latent)
        optimizer.zero_grad()
        reconstruction, mu, log_var = model(x, eps)
        bce = F.binary_cross_entropy(reconstruction[crop], x[crop], reduction="sum")
        kld = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
        ((bce + kld) / x.shape[0]).backward()  # DDP averages the gradients over the ranks
        optimizer.step()

    return step


def main():
    args = parse_args()
    if not os.path.isfile(args.data):
        raise SystemExit(f"no dataset at {args.data} (vae_data convert writes the default one)")
    if args.nproc > 0 and "RANK" not in os.environ:
        sys.exit(launch_ranks(args.nproc))
    torch.set_num_threads(args.threads)
    rank, world = init_distributed()
    shard = load_shard(args.data, rank, world)
    torch.manual_seed(args.seed)  # the same initial weights everywhere (DDP broadcasts rank 0's anyway)
    model = DistributedDataParallel(ConvVAE(latent_dim=args.latent, image_channels=shard.shape[1]))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    torch.manual_seed(args.seed + 1 + rank)  # each rank its own ε stream
    feed = batches(shard, args.batch, torch.Generator().manual_seed(args.seed + 1000 + rank))
    step = make_step(model, optimizer, padding_of(shard), args.latent)

    for _ in range(args.warmup):
        step(next(feed))
    dist.barrier()
    start = time.perf_counter()
    for _ in range(args.steps):
        step(next(feed))
    dist.barrier()
    seconds = time.perf_counter() - start

    if rank == 0:
        images_per_s = world * args.batch * args.steps / seconds
        ms_per_step = 1000 * seconds / args.steps
        if args.json:
            print(json.dumps({"peer": "ddp_gloo", "processes": world, "images_per_s": round(images_per_s, 1),
                              "ms_per_step": round(ms_per_step, 3), "batch_per_rank": args.batch,
                              "threads": args.threads}), flush=True)
        else:
            print(f"pytorch ddp (gloo), {world} processes: {images_per_s:.0f} images/s "
                  f"({ms_per_step:.1f} ms per step, batch {args.batch} per rank, {args.threads} thread(s))", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
