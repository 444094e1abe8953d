#!/usr/bin/env bash
# The scaling simulator (bench/sim/): its all-reduce schedules sum correctly (--check, real numbers,
# 2 to 8 ranks), it picks vae_dist's algorithm for a rank count, and a simulated step is the sum the
# platform gives: a rank's compute, then the fused all-reduce's two ring rounds (latency + half
# the bucket over the link, each), the local reduction, the stop vote's one exchange, the update.
#   simulator_test.sh SOURCE_DIR        (exit 77, skipped, without SimGrid's smpicxx)
set -uo pipefail
cd "$1"
command -v smpicxx >/dev/null && command -v smpirun >/dev/null || { echo "SKIPPED: no smpicxx (libsimgrid-dev)"; exit 77; }
source bench/sim/platforms.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

build_simulator "$work/sim" 2>"$work/build.log" || { cat "$work/build.log"; fail "the simulator does not build"; }
cd "$work"  # smpirun leaves a temporary hostfile in the current folder when a run fails
platform_xml "$work/p.xml" p 8 1Gbps 10us
for n in 2 3 5 8; do
  hostfile_for "$work/hosts" $n
  smpirun -np $n -platform "$work/p.xml" -hostfile "$work/hosts" "${SIM_FLAGS[@]}" "$work/sim" --check >"$work/check.log" 2>&1 ||
    { cat "$work/check.log"; fail "an all-reduce schedule sums wrongly on $n ranks"; }
done

# One parameter of 1,000,000 floats, final 10 ms into the step; the update takes 1 ms.
printf 'param 0 1000000\nready 0 0.010\nupdate 0.001\n' >"$work/profile"
run() {  # RANKS FLAGS...
  local n=$1
  shift
  hostfile_for "$work/hosts" "$n"
  smpirun -np "$n" -platform "$work/p.xml" -hostfile "$work/hosts" "${SIM_FLAGS[@]}" "$work/sim" "$work/profile" "$@" 2>/dev/null | grep '^ranks'
}
line=$(run 2 --no-overlap --algorithm ring) || fail "no simulated step"
step=$(awk '{print $8}' <<<"$line")
# 1 Gbit/s = 125e6 B/s, 20 µs from node to node: each ring round moves 2 MB each way, and each
# direction also carries the acknowledgements of the other's data, 5% of it (SimGrid's TCP
# cross-traffic); the reduction sums 2 MB at 8 GB/s; the vote exchanges 40 bytes once.
expected=$(awk 'BEGIN {print 0.010 + 2 * (20e-6 + 1.05 * 2e6 / 125e6) + 2e6 / 8e9 + 20e-6 + 1.05 * 40 / 125e6 + 0.001}')
awk -v s="$step" -v e="$expected" 'BEGIN {exit !(s > 0.99 * e && s < 1.01 * e)}' || fail "2 ranks: a step of $step s, not the $expected s the platform gives"
grep -q "algorithm rabenseifner" <<<"$(run 4 --algorithm auto)" || fail "4 ranks: vae_dist takes Rabenseifner"
grep -q "algorithm ring" <<<"$(run 3 --algorithm auto)" || fail "3 ranks: vae_dist takes the ring"
echo "ok: the schedules sum correctly on 2, 3, 5 and 8 ranks; 2 ranks step $step s (the platform: $expected s); auto picks as vae_dist"
