#!/usr/bin/env bash
# Configures and builds vae_dist (Release) in build/. Usage: launch/build.sh [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
fi
# LibTorch translation units take ~1.5 GB each to compile: one job per 3 GB of memory, at most one per core.
mem_jobs=$(( $(awk '/MemAvailable/ {print $2}' /proc/meminfo) / 3000000 ))
jobs=$(( mem_jobs < $(nproc) ? mem_jobs : $(nproc) ))
cmake --build build -j "$(( jobs > 0 ? jobs : 1 ))"
