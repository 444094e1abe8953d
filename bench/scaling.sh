#!/usr/bin/env bash
# Data-parallel throughput on this machine: vae_dist with 1 and 2 ranks (overlap on and off)
# against the PyTorch eager peer, all in one run so the ratios share the machine's state.
#   bench/scaling.sh [STEPS] [DATA]        (defaults: 300 steps per epoch, the default dataset)
# Reports training images per second from metrics.jsonl (epoch 2 of 2: epoch 1 is the warm-up).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-300}
data=${2:-}
source launch/vae_env.sh
bin=build/src/vae_dist
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
data_flag=()
[[ -n $data ]] && data_flag=(--data "$data")

rate() { tail -n 1 "$1/metrics.jsonl" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["images_per_s"]))'; }
run() {  # name, ranks, extra flags
  local name=$1 ranks=$2; shift 2
  local launch=()  # one rank runs without mpirun, which would bind it to a single core
  ((ranks > 1)) && launch=(mpirun -n "$ranks")
  "${launch[@]}" "$bin" "${data_flag[@]}" --epochs 2 --max-steps "$steps" --iw-samples 1 --iw-subset 64 --out "$out/$name" "$@" >/dev/null
  printf '%-34s %6s images/s\n' "$name" "$(rate "$out/$name")"
}

echo "vae_dist data-parallel throughput, batch 64 per rank, $steps steps per epoch, $(nproc) cores"
run "1 rank, 1 thread" 1 --threads 1
run "1 rank, $(nproc) threads" 1 --threads "$(nproc)"
run "2 ranks, 1 thread each, overlap" 2 --threads 1
run "2 ranks, 1 thread each, no overlap" 2 --threads 1 --no-overlap
echo "peer:"
/usr/bin/python3 bench/pytorch_peer.py --threads 1 --steps "$steps"
/usr/bin/python3 bench/pytorch_peer.py --threads "$(nproc)" --steps "$steps"
