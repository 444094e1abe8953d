#!/usr/bin/env bash
# How far vae_dist scales, by simulation (SimGrid SMPI) checked against measurement. The simulator
# (bench/sim/gradsync_sim.cpp) replays one rank's measured step (vae_step_profile: when each
# gradient becomes final, and the update) on simulated ranks, runs the product's bucket schedule
# (BucketSchedule) and its stop vote (the control all-reduce's rounds), and Open MPI libnbc's
# all-reduce rounds for every bucket, on platform files of bench/sim/platforms.sh.
#   1. Validation (root: network-namespace hosts, tests/multihost/hosts.sh): 2, 3 and 4 hosts of one
#      rank, links shaped by tc tbf to 1 and 10 Gbit/s, overlap on and off; measured vae_dist step
#      (epoch 2 of 30 steps, the median of 3 runs) vs simulated. The platform's link is fitted to vae_comm_bench's all-reduce on 2 hosts only
#      (4 KiB and 4 MiB); compute is a profile taken with as many processes sharing the cores as
#      the run has ranks (this machine has 2 cores).
#   2. Prediction: 1 to 1,024 nodes on 10 and 25 GbE (one switch) and 200 Gbit/s InfiniBand
#      (two-level fat-tree), at every power of two from 1 to 1,024 nodes: one CPU rank per node
#      (this machine's measured step), and 8 GPU ranks per node with a given step (GPU_STEP_MS,
#      default 2 ms) up to 128 nodes (1,024 simulated ranks; 8,192 would need about 55 GB). Weak scaling at 16 and 64 images per rank,
#      strong scaling at a global batch of 16,384, the bucket size at 1,024 nodes (10 GbE), and
#      vae_dist before this simulation (the ring at any rank count, the stop vote through libnbc's
#      ring) up to 256 nodes (a ring on more takes hours to simulate).
#   sudo bash bench/simulate_scaling.sh [OUT_DIR]      (default: bench_results/simulation)
#   PREDICT_ONLY=1 … skips the validation (no root needed); VALIDATE_ONLY=1 skips the predictions.
# Writes OUT_DIR/validation.csv, predictions.csv, the tables (tables.md) and scaling_simulated.png.
# Takes about 40 minutes on 2 cores (a 1,024-rank simulation takes 1–3); needs libsimgrid-dev.
set -uo pipefail
out=$(realpath -m "${1:-bench_results/simulation}")
cd "$(dirname "$0")/.."
root=$PWD
source launch/vae_env.sh
source bench/sim/platforms.sh
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v smpicxx >/dev/null || { echo "smpicxx is missing: install libsimgrid-dev (launch/install_deps.sh)"; exit 1; }
[[ -x build/bench/vae_step_profile && -x build/src/vae_dist ]] || { echo "build first: bash launch/build.sh"; exit 1; }

mkdir -p build/sim
sim=$root/build/sim/gradsync_sim
build_simulator "$sim" 2>"$work/build.log" || { cat "$work/build.log"; exit 1; }
for n in 2 3 5 8; do  # the schedules themselves sum correctly
  hostfile_for "$work/check_hosts" $n
  platform_xml "$work/check.xml" check 8 10Gbps 10us
  (cd "$work" && smpirun -np $n -platform "$work/check.xml" -hostfile "$work/check_hosts" "${SIM_FLAGS[@]}" "$sim" --check >/dev/null) ||
    { echo "the simulator's all-reduce schedules are wrong on $n ranks"; exit 1; }
done

# simulate PLATFORM NODES RANKS_PER_NODE PROFILE [gradsync_sim flags] → the simulated step in seconds
simulate() {
  local platform=$1 nodes=$2 per_node=$3 profile=$4 hosts
  shift 4
  hosts=$(mktemp -p "$work")
  hostfile_for "$hosts" "$nodes" "$per_node"
  # In the work folder: smpirun leaves its temporary hostfile in the current folder when a run fails.
  (cd "$work" && smpirun -np $((nodes * per_node)) -platform "$platform" -hostfile "$hosts" "${SIM_FLAGS[@]}" "$sim" "$profile" "$@" 2>/dev/null) |
    awk '/^ranks/ {print $8}'
}

profile() {  # PROCESSES: a step profile (batch 64) taken while PROCESSES profile at once: their mean
  local processes=$1 i
  rm -f "$work"/profile.*
  for ((i = 1; i <= processes; i++)); do build/bench/vae_step_profile --batch 64 --threads 1 --steps 60 >"$work/profile.$i" & done
  wait
  awk '/^#/ && FNR == NR {print} /^param/ && FNR == NR {print} /^ready/ {t[$2] += $3; if (FNR == NR) order[++n] = $2}
       /^update/ {u += $2} END {for (i = 1; i <= n; i++) printf "ready %s %.6e\n", order[i], t[order[i]] / (ARGC - 1);
       printf "update %.6e\n", u / (ARGC - 1)}' "$work"/profile.*
}

if [[ -z ${PREDICT_ONLY:-} ]]; then
  source tests/multihost/hosts.sh
  trap 'stop_hosts; rm -rf "$work"' EXIT
  if HOSTS_SLOTS=1 start_hosts 4 "$work"; then
    echo "validation: profiles with 2, 3, 4 processes on the cores" >&2
    for h in 2 3 4; do profile $h >"$out/profile_${h}_sharing.txt"; done
    build/datasets/vae_data synth --out "$work/data.h5" --train 8000 --test 200 >/dev/null
    echo "rate,hosts,overlap,measured_s,simulated_s" >"$out/validation.csv"
    : >"$out/links.csv"
    for rate in 1gbit 10gbit; do
      shape_links $rate || { echo "tc could not shape the links to $rate"; exit 1; }
      mpirun_on_hosts_within 300 -n 2 build/bench/vae_comm_bench --benchmark_filter='BM_AllReduce/(4096|4194304)/' \
        --benchmark_out="$work/link_$rate.json" --benchmark_out_format=json >"$work/link.log" 2>&1 || { cat "$work/link.log"; exit 1; }
      # Two ranks' ring: t(n) = 2·latency + n/bandwidth; a SimGrid path is two node links.
      read -r link_bw link_lat < <(/usr/bin/python3 - "$work/link_$rate.json" <<'FIT'
import json, sys
t = {b["name"].split("/")[1]: b["real_time"] * 1e-6 for b in json.load(open(sys.argv[1]))["benchmarks"]}
small, large = t["4096"], t["4194304"]
bandwidth = (4194304 - 4096) / (large - small)
latency = (small - 4096 / bandwidth) / 2
print(f"{bandwidth:.6e}Bps {latency / 2 * 1e6:.3f}us")
FIT
)
      echo "  $rate: the link as fitted: $link_bw, $link_lat per node link" >&2
      echo "$rate,$link_bw,$link_lat" >>"$out/links.csv"
      platform_xml "$work/ns_$rate.xml" ns 4 "$link_bw" "$link_lat"
      for h in 2 3 4; do
        for overlap in on off; do
          flag=()
          [[ $overlap == off ]] && flag=(--no-overlap)
          for round in 1 2 3; do  # this machine is noisy: the median of three runs
            mpirun_on_hosts_within 300 -n $h build/src/vae_dist --data "$work/data.h5" --threads 1 --batch-size 64 --epochs 2 --max-steps 30 \
              --iw-subset 20 --iw-samples 2 "${flag[@]}" --out "$work/run" --force >"$work/run.log" 2>&1 || { tail "$work/run.log"; exit 1; }
            cp "$work/run/metrics.jsonl" "$work/metrics.$round"
          done
          measured=$(/usr/bin/python3 -c '
import json, statistics, sys
def step_s(path):
    first, second = [json.loads(l) for l in open(path)][-2:]  # epoch 2: warm
    steps = second["step"] - first["step"]  # "step" counts the run'"'"'s steps so far
    return (second["epoch_s"] - second["test_s"] - second["iw_s"] - second["outputs_s"]) / steps
print(statistics.median(step_s(path) for path in sys.argv[1:]))' "$work"/metrics.[123])
          simulated=$(simulate "$work/ns_$rate.xml" $h 1 "$out/profile_${h}_sharing.txt" --algorithm auto "${flag[@]}")
          echo "  $rate, $h hosts, overlap $overlap: measured $measured s, simulated $simulated s" >&2
          echo "$rate,$h,$overlap,$measured,$simulated" >>"$out/validation.csv"
        done
      done
    done
    stop_hosts
  else
    echo "validation skipped (network namespaces need root)" >&2
  fi
fi

if [[ -z ${VALIDATE_ONLY:-} ]]; then
  echo "prediction: the CPU step, alone on the cores" >&2
  profile 1 >"$out/profile_cpu.txt"
  readonly NODES=(1 2 4 8 16 32 64 128 256 512 1024)
  readonly GPU_STEP_S=$(awk "BEGIN {print ${GPU_STEP_MS:-2} / 1000}")
  declare -A net=([10GbE]="10Gbps 12.5us switch" [25GbE]="25Gbps 12.5us switch" [IB200]="200Gbps 0.5us fat-tree")
  jobs_file="$work/jobs"
  : >"$jobs_file"
  for name in 10GbE 25GbE IB200; do
    read -r bw lat topology <<<"${net[$name]}"
    platform_xml "$work/$name.xml" "$name" 1024 "$bw" "$lat" "$topology"
    platform_xml "$work/${name}_gpu.xml" "$name" 1024 "$bw" "$lat" "$topology" 8
    for n in "${NODES[@]}"; do
      for batch in 16 64; do echo "$name weak_cpu $n 1 $batch auto 0.5 on" >>"$jobs_file"; done
      echo "$name strong_cpu $n 1 $((16384 / n)) auto 0.5 on" >>"$jobs_file"
      ((n <= 256)) && echo "$name before_cpu $n 1 64 ring 0.5 on" >>"$jobs_file"
      ((n <= 128)) && echo "$name weak_gpu $n 8 64 auto 0.5 on" >>"$jobs_file"
    done
  done
  for bucket in 2 8; do echo "10GbE bucket_cpu 1024 1 64 auto $bucket on" >>"$jobs_file"; done
  echo "10GbE bucket_cpu 1024 1 64 auto 0.5 off" >>"$jobs_file"
  one_job() {  # PLATFORM STUDY NODES PER_NODE BATCH ALGORITHM BUCKET_MB OVERLAP → a CSV line
    local name=$1 study=$2 n=$3 per_node=$4 batch=$5 algorithm=$6 bucket=$7 overlap=$8 platform=$work/$1.xml step_s compute_s
    local flags=(--algorithm "$algorithm" --bucket-mb "$bucket")
    [[ $overlap == off ]] && flags+=(--no-overlap)
    [[ $algorithm == ring ]] && flags+=(--vote-by-libnbc)
    if [[ $study == weak_gpu ]]; then
      platform=$work/${name}_gpu.xml compute_s=$GPU_STEP_S
    else  # the CPU step grows with the per-rank batch
      compute_s=$(awk -v b="$batch" '/^ready/ {t = $3} /^update/ {print (t + $2) * b / 64}' "$out/profile_cpu.txt")
    fi
    step_s=$(simulate "$platform" "$n" "$per_node" "$out/profile_cpu.txt" --step-s "$compute_s" "${flags[@]}")
    echo "$name,$study,$n,$per_node,$batch,$algorithm,$bucket,$overlap,$compute_s,$step_s"
  }
  export -f one_job simulate hostfile_for
  export work sim out GPU_STEP_S
  export SIM_FLAGS_LINE="${SIM_FLAGS[*]}"
  echo "prediction: $(wc -l <"$jobs_file") simulations, two at a time" >&2
  echo "platform,study,nodes,ranks_per_node,batch_per_rank,algorithm,bucket_mb,overlap,compute_s,step_s" >"$out/predictions.csv"
  # The largest first, so that the two workers end together.
  sort -k3,3nr "$jobs_file" | xargs -P 2 -L 1 bash -c 'SIM_FLAGS=($SIM_FLAGS_LINE); one_job "$@"' _ >>"$out/predictions.csv"
fi

/usr/bin/python3 bench/sim/scaling_tables.py "$out" | tee "$out/tables.md"
