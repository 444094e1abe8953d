#!/usr/bin/env bash
# One job across network-namespace hosts (tests/multihost/hosts.sh), under mpirun over TCP.
#   multihost_test.sh CASE VAE_DIST VAE_DATA
# CASE: two_by_two — 2 hosts × 2 ranks: each host has its own local rank 0 (2 nodes in the
#       --results line, "2 on vaehost1" in the table) and the run ends with the weights of 4 ranks
#       on one host at the same global batch (same rows; float summation order aside, see
#       tests/mpi/rank_count_test.sh for the tolerance);
#       three_by_one — 3 hosts × 1 rank finish on uneven lanes (384 = 128 × 3; 4,993 rows);
#       link_cut — host 2's link goes down mid-epoch: every rank exits non-zero within
#       CUT_BOUND_S, with a message naming vaehost2 (its ranks, or mpirun its daemon); the checkpoints load; after
#       the link is back, --resume auto finishes the run.
# Prints SKIPPED and exits 77 where namespaces cannot be made (no root).
set -uo pipefail
case_name=$1 vae_dist=$2 vae_data=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
source "$here/hosts.sh"
trap 'stop_hosts; rm -rf "$work"' EXIT
readonly TIMEOUT_S=10 CUT_BOUND_S=40  # --collective-timeout, and the bound on every rank's exit after a cut

fail() { echo "FAIL: $*"; echo "--- output ---"; tail -n 25 "$work"/*.log 2>/dev/null; exit 1; }

case $case_name in two_by_two | link_cut) hosts=2 ;; three_by_one) hosts=3 ;; *) fail "unknown case $case_name" ;; esac
HOSTS_SLOTS=2 start_hosts $hosts "$work"
status=$?
[[ $status == 0 ]] || exit $status

"$vae_data" synth --out "$work/data.h5" --train 4993 --test 200 >/dev/null || fail "vae_data synth"
common=(--data "$work/data.h5" --threads 1 --latent-dim 2 --iw-samples 2 --iw-subset 20 --global-batch-size 384
        --collective-timeout $TIMEOUT_S --results "$work/results.jsonl")

across_hosts() {  # RANKS LOG FLAGS...: vae_dist across the hosts, ranks filling each host's slots in turn
  local ranks=$1 log=$2
  shift 2
  mpirun_on_hosts_within 300 -n "$ranks" "$vae_dist" "${common[@]}" "$@" >"$log" 2>&1
}

case $case_name in
  two_by_two)
    across_hosts 4 "$work/hosts.log" --epochs 2 --out "$work/hosts" || fail "2 hosts × 2 ranks"
    grep -q "ranks        4 on 2 hosts (2 on vaehost1)" "$work/hosts.log" || fail "the table does not show 2 hosts of 2 ranks"
    grep -q '"nodes":2' "$work/results.jsonl" || fail "the results line does not count 2 nodes"
    OMPI_MCA_rmaps_base_oversubscribe=1 mpirun -n 4 "$vae_dist" "${common[@]}" --epochs 2 --out "$work/one" >"$work/one.log" 2>&1 ||
      fail "4 ranks on one host"
    /usr/bin/python3 "$here/../oracle/same_weights.py" "$work/one/checkpoints/epoch_0002.pt" "$work/hosts/checkpoints/epoch_0002.pt" --within 1e-4 ||
      fail "2 hosts × 2 ranks ended with other weights than 4 ranks on one host"
    echo "ok: 2 hosts × 2 ranks, a local rank 0 on each, the weights of 4 ranks on one host" ;;
  three_by_one)
    HOSTS_SLOTS=1
    sed -i 's/slots=2/slots=1/' "$work/hostfile"
    across_hosts 3 "$work/hosts.log" --epochs 1 --out "$work/hosts" || fail "3 hosts × 1 rank"
    grep -q "128 per rank" "$work/hosts.log" && grep -q '"nodes":3' "$work/results.jsonl" || fail "not 3 hosts of one rank"
    [[ -f $work/hosts/checkpoints/epoch_0001.pt ]] || fail "no checkpoint"
    echo "ok: 3 hosts × 1 rank finished" ;;
  link_cut)
    across_hosts 4 "$work/cut.log" --epochs 3 --keep 10 --out "$work/run" &
    job=$!
    for _ in $(seq 600); do [[ -s $work/run/metrics.jsonl ]] && break; sleep 0.1; done  # epoch 1 is done
    sleep 1
    in_switch ip link set "$(host_link 2)" down
    cut_at=$SECONDS
    wait $job
    status=$?
    ((status != 0)) || fail "the job exited 0 after its link was cut"
    # The ranks of the cut-off host end by their own timeout, not by mpirun, which cannot reach
    # them: every rank, wherever it runs, must be gone within the bound.
    while pgrep -f "^$vae_dist" >/dev/null && ((SECONDS - cut_at <= CUT_BOUND_S)); do sleep 0.2; done
    took=$((SECONDS - cut_at))
    pgrep -f "^$vae_dist" >/dev/null && fail "a rank was still running ${CUT_BOUND_S}s after the cut"
    # Whichever notices first names the lost host: the ranks' collective timeout (10 s after their
    # wait began), or mpirun's TCP keepalive on its daemon there (6 to 11 s after the cut).
    grep -q "no word from ranks 2, 3 (vaehost2)" "$work/cut.log" ||
      grep -A3 "lost communication with a remote daemon" "$work/cut.log" | grep -q "Remote daemon.* on node $HOSTS_SUBNET.2" ||
      fail "no message naming the ranks of vaehost2 or the host"
    for checkpoint in "$work"/run/checkpoints/*.pt; do
      /usr/bin/python3 "$here/../oracle/checkpoint_loads.py" "$checkpoint" 2 >/dev/null || fail "$checkpoint does not load after the cut"
    done
    in_switch ip link set "$(host_link 2)" up
    wait_for_hosts 60 || fail "mpirun did not reach both hosts within 60 s of the link coming back"
    across_hosts 4 "$work/resumed.log" --epochs 3 --out "$work/run" --resume auto || fail "--resume auto after the link came back"
    [[ -f $work/run/checkpoints/epoch_0003.pt ]] || fail "the resumed run did not finish"
    echo "ok: every rank ended ${took}s after the cut (exit $status): $(grep -m1 -E "no word from|Remote daemon" "$work/cut.log" | xargs); resumed and finished" ;;
esac
