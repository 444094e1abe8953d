#!/usr/bin/env bash
# From a fresh Debian 12 machine to a trained model:
#   installs the packages, builds, installs vae_dist, prepares Fashion-MNIST and trains
#   `mpirun -n 2 vae_dist --epochs 5` on it (outputs in runs/<date>-<time>/).
# Afterwards `mpirun -n 8 vae_dist --epochs 50` works from any new shell.
set -euo pipefail
cd "$(dirname "$0")/.."

bash launch/install_deps.sh
bash launch/build.sh

# Install: /usr/local as root, ~/.local otherwise (both are on PATH on Debian).
if [[ $(id -u) -eq 0 ]]; then prefix=/usr/local; else prefix=$HOME/.local; fi
cmake --install build --prefix "$prefix" >/dev/null
echo "quickstart: installed vae_dist and vae_data in $prefix/bin"

# Open MPI defaults for every shell: allow more ranks than cores (each rank still gets a thread).
mkdir -p "$HOME/.openmpi"
grep -qs '^rmaps_base_oversubscribe' "$HOME/.openmpi/mca-params.conf" ||
  echo 'rmaps_base_oversubscribe = 1' >>"$HOME/.openmpi/mca-params.conf"
# As root, Open MPI also wants two environment variables; new shells get them from ~/.bashrc.
if [[ $(id -u) -eq 0 ]] && ! grep -qs 'vae_env.sh' "$HOME/.bashrc"; then
  echo "source $prefix/share/vae_dist/vae_env.sh  # vae_dist: lets Open MPI run as root" >>"$HOME/.bashrc"
  echo "quickstart: added vae_env.sh to ~/.bashrc (Open MPI as root); in this shell run: source launch/vae_env.sh"
fi
source launch/vae_env.sh

"$prefix/bin/vae_data" convert >/dev/null   # Fashion-MNIST → ~/.cache/vae_dist/fashion-mnist.h5
mpirun -n 2 "$prefix/bin/vae_dist" --epochs 5
