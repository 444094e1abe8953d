#!/usr/bin/env bash
# Slow-network mode: the gradient path between two hosts joined by a link of a given rate, on one
# machine. Two network-namespace hosts of one rank each (tests/multihost/hosts.sh), each host's
# link shaped with tc's token bucket; for every rate, vae_comm_bench's BM_AllReduce of 1 MiB (what
# the link gives an all-reduce) and BM_GradSyncStep with one fused all-reduce, with buckets that
# overlap backward, and with no all-reduce at all (the floor). Then per rate:
#   all-reduce  = fused − floor            (the communication a step waits for without overlap)
#   hidden      = (fused − overlap) / (fused − floor)   (the share of it that overlap hides)
# Needs root (network namespaces, tc); prints SKIPPED otherwise.
#   sudo bash bench/slow_network.sh [OUT_DIR] [RATE ...]    (default: bench_results/, none 1gbit 100mbit)
# "none" is the bare veth link. Writes OUT_DIR/slow_network_<rate>.json (Google Benchmark's JSON).
set -uo pipefail
out=$(realpath -m "${1:-bench_results}")
cd "$(dirname "$0")/.."
shift || true
rates=("$@")
((${#rates[@]})) || rates=(none 1gbit 100mbit)
mkdir -p "$out"
source launch/vae_env.sh
source tests/multihost/hosts.sh
work=$(mktemp -d)
trap 'stop_hosts; rm -rf "$work"' EXIT
HOSTS_SLOTS=1 start_hosts 2 "$work" || exit 0
bench=$PWD/build/bench/vae_comm_bench

for rate in "${rates[@]}"; do
  shape_links "$rate" || { echo "tc could not shape the links to $rate"; exit 1; }
  echo "measuring: 2 hosts × 1 rank, link $rate" >&2
  # Each benchmark's iterations are fixed; at 100 Mbit/s this takes about a minute.
  mpirun_on_hosts_within 600 -n 2 "$bench" --benchmark_filter='BM_AllReduce/1048576/|BM_GradSyncStep' \
    --benchmark_out="$out/slow_network_$rate.json" --benchmark_out_format=json >"$work/bench.log" 2>&1 ||
    { tail -n 20 "$work/bench.log"; echo "vae_comm_bench failed on the $rate link"; exit 1; }
done

/usr/bin/python3 - "$out" "${rates[@]}" <<'TABLE'
import json, sys
out, rates = sys.argv[1], sys.argv[2:]
print("gradient path between 2 hosts, 1 rank each (ConvVAE latent 16: 1.66 MB of gradients; batch 64 per rank, 1 thread)")
print(f"{'link':>8} {'all-reduce 1 MiB':>17} {'step: fused':>12} {'overlap':>8} {'no comm':>8} {'all-reduce':>11} {'hidden':>7}")
for rate in rates:
    runs = {b["name"].split("/iterations")[0]: b for b in json.load(open(f"{out}/slow_network_{rate}.json"))["benchmarks"]}
    ms = lambda name: runs[name]["real_time"]  # GradSyncStep reports milliseconds
    fused, overlap, floor = ms("BM_GradSyncStep/0"), ms("BM_GradSyncStep/1"), ms("BM_GradSyncStep/2")
    busbw = runs["BM_AllReduce/1048576"]["busbw_GB"] * 8
    communication = fused - floor
    # An all-reduce under 5% of the step is within this machine's noise: no share to speak of.
    hidden = f"{(fused - overlap) / communication:.0%}" if communication > 0.05 * floor else "-"
    print(f"{rate:>8} {busbw:>11.2f} Gbit/s {fused:>9.1f} ms {overlap:>5.1f} ms {floor:>5.1f} ms {communication:>8.1f} ms {hidden:>7}")
TABLE
