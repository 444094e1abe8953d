"""Writes datasets the way people write them with h5py, one file per case, for vae_dist's reader
tests (an independent writer: nothing here comes from vae_dist's own code).

  /usr/bin/python3 tests/data/write_h5py_files.py DIR

Every pixel is level(row, c, y, x) = (7·row + 31·c + 5·y + 3·x) mod 256, stored as that uint8 or
as level / 255 in float32/float64, in the case's layout; labels are row mod 10. The readers'
tests recompute the formula, so a transposed axis, a wrong row or a lost level shows.
"""
import os
import sys

import h5py
import numpy as np

TRAIN, TEST = 150, 40


def levels(rows, channels, height, width):
    r, c, y, x = np.meshgrid(np.arange(rows), np.arange(channels), np.arange(height), np.arange(width), indexing="ij")
    return ((7 * r + 31 * c + 5 * y + 3 * x) % 256).astype(np.uint8)  # N×C×H×W


def as_stored(nchw, layout, dtype):
    array = {"nchw": nchw, "nhwc": nchw.transpose(0, 2, 3, 1), "nhw": nchw[:, 0]}[layout]
    return array if dtype == "uint8" else (array / 255.0).astype(dtype)


def write(path, layout, dtype, channels=1, size=28, keys=("train/images", "test/images"), labels=True, attributes=False, **options):
    with h5py.File(path, "w") as f:
        for key, rows in zip(keys, (TRAIN, TEST)):
            f.create_dataset(key, data=as_stored(levels(rows, channels, size, size), layout, dtype), **options)
            if labels and key.endswith("/images"):
                f[key[: -len("images")] + "labels"] = np.arange(rows) % 10
        if attributes:
            f.attrs.update({"name": "with-attributes", "source": "h5py", "channels": channels, "height": size, "width": size})


def main(out):
    os.makedirs(out, exist_ok=True)
    write(f"{out}/uint8_nchw_attributes.h5", "nchw", "uint8", attributes=True)
    write(f"{out}/uint8_nhw.h5", "nhw", "uint8")
    write(f"{out}/float32_nhw.h5", "nhw", "float32", labels=False)
    write(f"{out}/float64_nchw.h5", "nchw", "float64")
    write(f"{out}/uint8_nhwc_rgb_gzip.h5", "nhwc", "uint8", channels=3, size=32, compression="gzip", chunks=(16, 32, 32, 3))
    write(f"{out}/float32_nhwc_gzip_shuffle.h5", "nhwc", "float32", channels=3, size=32, compression="gzip", shuffle=True)
    write(f"{out}/uint8_nhwc_gray.h5", "nhwc", "uint8")  # N×28×28×1: the last axis is 1, the second is not
    write(f"{out}/uint8_nhwc_rgb64.h5", "nhwc", "uint8", channels=3, size=64, compression="gzip")  # the conv model's 64×64 canvas
    write(f"{out}/other_keys.h5", "nhw", "float32", keys=("x_train", "data/x_test"))
    with h5py.File(f"{out}/train_only.h5", "w") as f:  # no test split: --test-fraction
        f["train/images"], f["train/labels"] = levels(TRAIN, 1, 28, 28), np.arange(TRAIN) % 10
    # N×3×3×3... is ambiguous: read channels first unless --layout nhwc says otherwise.
    write(f"{out}/ambiguous_nhwc.h5", "nhwc", "uint8", channels=3, size=4)
    with h5py.File(f"{out}/out_of_range.h5", "w") as f:
        train = as_stored(levels(TRAIN, 1, 28, 28), "nhw", "float32")
        train[97, 3, 4] = 1.25
        f["train/images"], f["test/images"] = train, as_stored(levels(TEST, 1, 28, 28), "nhw", "float32")
    with h5py.File(f"{out}/nan.h5", "w") as f:
        test = as_stored(levels(TEST, 1, 28, 28), "nhw", "float64")
        test[31, 0, 0] = np.nan
        f["train/images"], f["test/images"] = as_stored(levels(TRAIN, 1, 28, 28), "nhw", "float64"), test


if __name__ == "__main__":
    main(sys.argv[1])
