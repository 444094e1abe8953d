#!/usr/bin/env bash
# Installs every Debian package vae_dist needs to build, test and run. Idempotent: packages
# already present are skipped, so running it twice costs one dpkg query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config zlib1g-dev
  libtorch-dev libopenblas0-openmp          # without OpenBLAS, LibTorch falls back to a BLAS 8x slower
  libopenmpi-dev openmpi-bin
  libhdf5-dev hdf5-tools
  hdf5-plugin-lzf liblzf1 hdf5-filter-plugin  # HDF5 filters h5py users choose: LZF (its plugin needs liblzf, h5_handle.cpp); LZ4, BZip2, Bitshuffle
  libcli11-dev libgif-dev libpng-dev libplplot-dev
  plplot-driver-cairo                       # PLplot's in-memory cairo device draws loss.png
  nlohmann-json3-dev libxxhash-dev
  libdnnl-dev                               # oneDNN, the fast path's convolutions (the library LibTorch links)
  ocl-icd-opencl-dev                        # oneDNN's CMake config looks for OpenCL (Debian builds it with a GPU runtime)
  libgtest-dev libgmock-dev libbenchmark-dev
  dataset-fashion-mnist                     # the default dataset (IDX .gz files)
  python3-torch python3-numpy python3-h5py python3-pil   # oracle tests and benchmark peers only; not part of the product
  slurm-wlm munge                           # the Slurm tests start a one-node cluster (tests/slurm)
  libsimgrid-dev                            # SimGrid SMPI: the scaling simulator (bench/simulate_scaling.sh) and its test
  iproute2 util-linux                       # the multi-host tests make network-namespace hosts (tests/multihost)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install_deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install_deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
