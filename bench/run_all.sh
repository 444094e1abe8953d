#!/usr/bin/env bash
# The whole comparison in one command: the peer driver (vae_dist against PyTorch eager, DDP gloo
# and the seed's recipe, A B A B), one rank's step layer by layer (fast path, LibTorch, the core's
# best), the scaling driver (strong and weak, 1 … cores ranks), then the micro-benchmarks of the gradient path under mpirun -n 2, then the same path between two
# network-namespace hosts over 1 Gbit/s and 100 Mbit/s links (root only; about a minute).
# 8 min 15 s on 2 cores with one scaling round before the slow links; the scaling driver's default is two.
#   bash bench/run_all.sh [OUT_DIR]        (default: bench_results/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench_results}
mkdir -p "$out"
source launch/vae_env.sh
bash launch/build.sh >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
/usr/bin/python3 bench/compare_peers.py | tee "$out/peers.txt"
echo
build/bench/vae_layer_bench | tee "$out/layers.md"
/usr/bin/python3 bench/scaling.py --out "$out" | tee "$out/scaling.txt"
echo
echo "all-reduce and GradSync step, mpirun -n 2 build/bench/vae_comm_bench:"
mpirun -n 2 build/bench/vae_comm_bench --benchmark_color=false | tee "$out/comm.txt"
echo
bash bench/slow_network.sh "$out" | tee "$out/slow_network.txt"  # root only; SKIPPED otherwise
