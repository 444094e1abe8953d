#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/install_deps.sh
bash launch/build.sh
source launch/vae_env.sh   # the multi-rank tests run mpiexec, also as root and on few cores
cd build
ctest --output-on-failure --timeout 600 "$@"
