"""Writes datasets the way people write them, with h5py, NumPy and Pillow, one file per case, for
the tests of vae_dist's reader and importers (an independent writer: nothing here comes from
vae_dist's own code).

  /usr/bin/python3 tests/data/write_own_files.py DIR

Every pixel is level(row, c, y, x) = (7·row + 31·c + 5·y + 3·x) mod 256, stored as that uint8 or
as level / 255 in float32/float64, in the case's layout; labels are row mod 10. The readers'
tests recompute the formula, so a transposed axis, a wrong row or a lost level shows.
"""
import os
import sys

import h5py
import numpy as np
from PIL import Image

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


def write_linked(out):
    """Files whose images live elsewhere: a virtual dataset (its source beside it, named relatively),
    one whose source file is gone, a dangling external link; and h5py's own LZF compression."""
    write(f"{out}/lzf.h5", "nhw", "uint8", compression="lzf")
    write(f"{out}/vds_source.h5", "nchw", "uint8")
    write(f"{out}/vds_source_gone.h5", "nchw", "uint8")
    for name, source in (("virtual.h5", "vds_source.h5"), ("virtual_missing_source.h5", "vds_source_gone.h5")):
        with h5py.File(f"{out}/{name}", "w") as f:
            for key, rows in (("train/images", TRAIN), ("test/images", TEST)):
                layout = h5py.VirtualLayout(shape=(rows, 1, 28, 28), dtype=np.uint8)
                layout[:] = h5py.VirtualSource(source, key, shape=(rows, 1, 28, 28))
                f.create_virtual_dataset(key, layout, fillvalue=0)
    os.remove(f"{out}/vds_source_gone.h5")
    with h5py.File(f"{out}/dangling_link.h5", "w") as f:
        f["train"] = h5py.ExternalLink("gone.h5", "/train")
        f["test/images"] = levels(TEST, 1, 28, 28)


def write_numpy_and_png(out):
    """The importers' sources: .npz (Keras's names, stored; other names, deflated), .npy, PNG folders."""
    train, test = levels(TRAIN, 1, 28, 28), levels(TEST, 1, 28, 28)
    np.savez(f"{out}/keras.npz", x_train=train[:, 0], y_train=np.arange(TRAIN) % 10, x_test=test[:, 0], y_test=np.arange(TEST) % 10)
    np.savez_compressed(f"{out}/named.npz", pictures=as_stored(levels(TRAIN, 3, 32, 32), "nhwc", "float32"), held_out=levels(TEST, 3, 32, 32) / 255.0)
    np.save(f"{out}/train.npy", as_stored(train, "nhw", "float64"))
    np.save(f"{out}/train_labels.npy", (np.arange(TRAIN) % 10).astype(np.int32))
    rgb = levels(TRAIN, 3, 32, 32).transpose(0, 2, 3, 1)
    for split, rows in (("train", range(0, 12)), ("test", range(12, 16))):
        for row in rows:  # one folder per label: "even" rows and "odd" rows
            folder = f"{out}/pngs/{split}/{'odd' if row % 2 else 'even'}"
            os.makedirs(folder, exist_ok=True)
            Image.fromarray(rgb[row]).save(f"{folder}/{row:03d}.png")
    os.makedirs(f"{out}/mixed_sizes", exist_ok=True)
    Image.fromarray(rgb[0]).save(f"{out}/mixed_sizes/a.png")
    Image.fromarray(rgb[1][:16]).save(f"{out}/mixed_sizes/b.png")
    with open(f"{out}/truncated.npz", "wb") as f:
        f.write(open(f"{out}/keras.npz", "rb").read()[:3000])
    # The last central-directory entry claims a 65535-byte name that runs past the end of the file.
    zipped = bytearray(open(f"{out}/keras.npz", "rb").read())
    entry = zipped.rfind(b"PK\x01\x02")
    zipped[entry + 28: entry + 30] = (65535).to_bytes(2, "little")
    open(f"{out}/long_name.npz", "wb").write(bytes(zipped))
    open(f"{out}/short_v2_header.npy", "wb").write(b"\x93NUMPY\x02\x00\x10\x00")  # version 2: 4 length bytes, 2 given


if __name__ == "__main__":
    main(sys.argv[1])
    write_linked(sys.argv[1])
    write_numpy_and_png(sys.argv[1])
