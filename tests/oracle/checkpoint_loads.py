"""Checks that a vae_dist checkpoint loads in Python as the seed's model.

Usage: checkpoint_loads.py CHECKPOINT.pt LATENT_DIM
torch.jit.load must read it, and its named_parameters() must map one to one, with the same
shapes, onto the state_dict of the seed's ConvVAE; load_state_dict must then accept them.
"""
import sys

import torch

from conv_vae_oracle import ConvVAE


def main(path, latent_dim):
    loaded = torch.jit.load(path)
    named = dict(loaded.named_parameters())
    seed_model = ConvVAE(latent_dim=latent_dim)
    expected = seed_model.state_dict()
    if set(named) != set(expected):
        print(f"names differ: checkpoint {sorted(named)} vs seed {sorted(expected)}")
        return 1
    for name, value in named.items():
        if value.shape != expected[name].shape:
            print(f"{name}: shape {tuple(value.shape)} vs seed {tuple(expected[name].shape)}")
            return 1
    seed_model.load_state_dict(named)
    print(f"{path}: {len(named)} parameters load into the seed's ConvVAE")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
