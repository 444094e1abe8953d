#!/usr/bin/env bash
# Many ranks on few cores: what a job of 8 to 64 ranks costs before, around and after its steps.
# 8 network-namespace hosts (tests/multihost/hosts.sh), ranks ÷ 8 slots each, one mpirun of
# vae_dist over TCP per rank count: 1 epoch of --max-steps 3 at 2 images per rank on a small
# synthetic set (1,000 rows), 1 thread per rank. Per rank count:
#   start-up    = from mpirun's start until training begins: the moment epoch 1's line appears
#                 in metrics.jsonl minus the line's elapsed_s (which counts from the first step)
#   whole run   = mpirun's wall time, start to exit (the final checkpoint and MPI_Finalize included)
#   RSS         = each rank's peak resident set (/usr/bin/time %M around every rank), mean and max
#   fds         = the most open file descriptors of any rank (/proc/PID/fd of the vae_dist-core
#                 processes, sampled every 0.5 s while the job runs)
#   /dev/shm    = the most files in /dev/shm that were not there before the job (Open MPI's vader
#                 segments and the like, which all hosts share: one machine), sampled alike
# Needs root (network namespaces); prints SKIPPED otherwise.
#   sudo bash bench/many_ranks.sh [OUT_DIR]    (default: bench_results/)
#   VAE_MANY_RANKS="8 32" sudo bash bench/many_ranks.sh    (rank counts, multiples of 8; default 8 16 32 64)
# Then, at the largest rank count, the stop vote and a 1 MiB gradient all-reduce as vae_dist ran
# them before the scaling simulation and as it runs them now (vae_comm_bench).
# Prints the Markdown tables and writes them to OUT_DIR/many_ranks.md, each job's output beside it
# (many_ranks_<ranks>.log). On 2 cores 64 ranks take about 35 s; the default set a few minutes.
set -uo pipefail
out=$(realpath -m "${1:-bench_results}")
cd "$(dirname "$0")/.."
read -r -a rank_counts <<<"${VAE_MANY_RANKS:-8 16 32 64}"
for ranks in "${rank_counts[@]}"; do
  [[ $ranks =~ ^[0-9]+$ ]] && ((ranks >= 8 && ranks % 8 == 0)) || { echo "many_ranks.sh: $ranks ranks: a multiple of 8 (8 hosts)" >&2; exit 2; }
done
mkdir -p "$out"
source launch/vae_env.sh
source tests/multihost/hosts.sh
readonly HOSTS=8
work=$(mktemp -d)
trap 'stop_hosts; rm -rf "$work"' EXIT
HOSTS_SLOTS=1 start_hosts $HOSTS "$work" || exit 0
vae_dist=$PWD/build/src/vae_dist
[[ -x $vae_dist ]] || { echo "many_ranks.sh: $vae_dist is missing: bash launch/build.sh" >&2; exit 1; }
build/datasets/vae_data synth --out "$work/data.h5" --train 1000 --test 100 >/dev/null || { echo "vae_data synth failed" >&2; exit 1; }

# The pids of the ranks' trainers (vae_dist execs vae_dist-core) on every host.
trainers() {
  local i pid comm
  for ((i = 1; i <= HOSTS; i++)); do
    for pid in $(ip netns pids "${hosts_tag}h$i" 2>/dev/null); do
      read -r comm 2>/dev/null <"/proc/$pid/comm" && [[ $comm == vae_dist-core ]] && echo "$pid"
    done
  done
}

table="| ranks | hosts | start-up s | whole run s | RSS per rank MB (mean/max) | fds per rank (max) | /dev/shm files |
|---|---|---|---|---|---|---|"
notes=()
for ranks in "${rank_counts[@]}"; do
  slots=$((ranks / HOSTS))
  sed -i "s/slots=[0-9]*/slots=$slots/" "$work/hostfile"
  run="$work/run$ranks" log="$out/many_ranks_$ranks.log"
  declare -A shm_before=()
  for f in /dev/shm/*; do [[ -e $f ]] && shm_before[$f]=1; done
  echo "measuring: $ranks ranks on $HOSTS hosts × $slots" >&2
  start=$(date +%s.%N)
  # /usr/bin/time appends each rank's peak RSS to one file, a line per rank in one write each (on
  # the job's output the ranks' lines would interleave: time writes its stderr unbuffered).
  mpirun_on_hosts_within 300 -n "$ranks" /usr/bin/time -a -o "$work/rss$ranks" -f "many_ranks_rss_kb %M" "$vae_dist" --data "$work/data.h5" --threads 1 \
    --latent-dim 2 --iw-samples 2 --iw-subset 20 --global-batch-size $((2 * ranks)) --epochs 1 --max-steps 3 \
    --collective-timeout 60 --out "$run" >"$log" 2>&1 &
  job=$!
  fds_max=0 shm_max=0 line_at=""
  while kill -0 $job 2>/dev/null; do
    for pid in $(trainers); do
      fds=(/proc/"$pid"/fd/*)
      [[ -e ${fds[0]} ]] && ((${#fds[@]} > fds_max)) && fds_max=${#fds[@]}
    done
    shm=0
    for f in /dev/shm/*; do [[ -e $f && -z ${shm_before[$f]:-} ]] && ((++shm)); done
    ((shm > shm_max)) && shm_max=$shm
    [[ -z $line_at && -s $run/metrics.jsonl ]] && line_at=$(date +%s.%N)
    sleep 0.5
  done
  wait $job
  status=$?
  end=$(date +%s.%N)
  if ((status != 0)) || [[ ! -s $run/metrics.jsonl ]]; then
    table+=$'\n'"| $ranks | $HOSTS | failed (exit $status) | $(printf %.1f "$(bc <<<"$end - $start")") | | $fds_max | $shm_max |"
    notes+=("$ranks ranks: exit $status; the job's output: $log")
    continue
  fi
  [[ -n $line_at ]] || line_at=$end  # the job ended within one sample of its epoch line
  left=0
  for f in /dev/shm/*; do [[ -e $f && -z ${shm_before[$f]:-} ]] && ((++left)); done
  ((left)) && notes+=("$ranks ranks: $left file(s) left in /dev/shm after the job")
  table+=$'\n'$(/usr/bin/python3 - "$ranks" "$HOSTS" "$start" "$line_at" "$end" "$run/metrics.jsonl" "$work/rss$ranks" "$fds_max" "$shm_max" <<'ROW'
import json, sys
ranks, hosts, start, line_at, end, metrics, rss_file, fds, shm = sys.argv[1:]
elapsed = json.loads(open(metrics).readline())["elapsed_s"]
rss = [int(line.split()[1]) / 1024 for line in open(rss_file) if line.startswith("many_ranks_rss_kb ")]
rss_text = (f"{sum(rss) / len(rss):.0f} / {max(rss):.0f}" if rss else "?") + ("" if len(rss) == int(ranks) else f" ({len(rss)} of {ranks} ranks)")
startup = float(line_at) - float(start) - elapsed
print(f"| {ranks} | {hosts} | {startup:.1f} | {float(end) - float(start):.1f} | {rss_text} | {fds} | {shm} |")
ROW
)
done

# What the scaling simulation changed (bench/simulate_scaling.sh), at the largest rank count: the
# stop vote by the runtime's control all-reduce against MPI_Iallreduce with the ring, and a 1 MiB
# gradient all-reduce with the ring against the algorithm vae_dist now picks (Rabenseifner at a
# power of two). Each iteration is the slowest rank's time.
ranks=${rank_counts[-1]}
sed -i "s/slots=[0-9]*/slots=$((ranks / HOSTS))/" "$work/hostfile"
comm_bench() {  # ALGORITHM OUT.json
  mpirun_on_hosts_within 600 -n "$ranks" -x OMPI_MCA_coll_libnbc_iallreduce_algorithm="$1" build/bench/vae_comm_bench \
    --benchmark_filter='BM_StopVote|BM_AllReduce/1048576/' --benchmark_out="$2" --benchmark_out_format=json >"$work/comm.log" 2>&1 ||
    { tail "$work/comm.log"; echo "vae_comm_bench failed on $ranks ranks" >&2; exit 1; }
}
echo "measuring: the stop vote and a 1 MiB all-reduce on $ranks ranks" >&2
comm_bench 1 "$out/many_ranks_ring.json"
comm_bench 3 "$out/many_ranks_chosen.json"  # Rabenseifner: what vae_dist picks at 64 (and any power of two from 4)
changes=$(/usr/bin/python3 - "$out/many_ranks_ring.json" "$out/many_ranks_chosen.json" "$ranks" <<'CHANGES'
import json, sys
ring, chosen = ({b["name"].split("/iterations")[0]: b["real_time"] for b in json.load(open(path))["benchmarks"]} for path in sys.argv[1:3])
ranks = sys.argv[3]
print(f"| stop vote (40 bytes) | {ring['BM_StopVote/libnbc:1'] / 1e3:.2f} ms (MPI_Iallreduce, ring) | {ring['BM_StopVote/libnbc:0'] / 1e3:.2f} ms (control all-reduce) |")
print(f"| gradient all-reduce, 1 MiB | {ring['BM_AllReduce/1048576'] / 1e3:.2f} ms (ring) | {chosen['BM_AllReduce/1048576'] / 1e3:.2f} ms (Rabenseifner) |")
CHANGES
)

{
  echo "vae_dist, 1 epoch of 3 steps at 2 images per rank, 1 thread per rank, on $HOSTS namespace hosts of one $(nproc)-core machine"
  echo
  echo "$table"
  for note in "${notes[@]}"; do echo; echo "$note"; done
  echo
  echo "$ranks ranks (vae_comm_bench: the mean over a fixed number of iterations, each timed as the slowest rank's):"
  echo
  echo "| collective | before the simulation | now |"
  echo "|---|---|---|"
  echo "$changes"
} | tee "$out/many_ranks.md"
