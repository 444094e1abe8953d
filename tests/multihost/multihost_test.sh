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
#       the link is back, --resume auto finishes the run;
#       host_death, root_host_death — under launch/vae_run.sh --max-restarts 1 on a fourth host (a
#       login node), 3 hosts × 1 rank, and host 2 (rank 1) or host 1 (rank 0) dies mid-epoch (link
#       down, every process killed, gone for good): the survivors save the last step every rank
#       completed, vae_run.sh restarts on the 2 hosts left and the run finishes by itself; every
#       row is trained once per epoch but the rows of at most one step, the weights end within
#       the rank-count tolerance of an uninterrupted 3-rank run, and the dead host is named.
# Prints SKIPPED and exits 77 where namespaces cannot be made (no root).
set -uo pipefail
case_name=$1 vae_dist=$2 vae_data=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
source "$here/hosts.sh"
trap 'stop_hosts; rm -rf "$work"' EXIT
readonly TIMEOUT_S=10 CUT_BOUND_S=40 ROWS=4993  # --collective-timeout, the bound on every rank's exit after a cut
source "$here/../oracle/restarted_run.sh"

fail() { echo "FAIL: $*"; echo "--- output ---"; tail -n 25 "$work"/*.log 2>/dev/null; exit 1; }

case $case_name in
  two_by_two | link_cut) hosts=2 ;;
  three_by_one) hosts=3 ;;
  host_death | root_host_death) hosts=4 ;;
  *) fail "unknown case $case_name" ;;
esac
HOSTS_SLOTS=2 start_hosts $hosts "$work"
status=$?
[[ $status == 0 ]] || exit $status

"$vae_data" synth --out "$work/data.h5" --train $ROWS --test 200 >/dev/null || fail "vae_data synth"
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
  host_death | root_host_death)
    victim=2
    [[ $case_name == root_host_death ]] && victim=1
    head -n 3 "$work/hostfile" | sed 's/slots=2/slots=1/' >"$work/ranks_hostfile"  # host 4 only launches
    flags=("${common[@]}" --epochs 3 --keep 10 --record-samples --kernels torch)
    OMPI_MCA_rmaps_base_oversubscribe=1 mpirun -n 3 "$vae_dist" "${flags[@]}" --out "$work/reference" >"$work/reference.log" 2>&1 ||
      fail "the uninterrupted run"
    without_threads=()  # vae_run.sh passes --threads itself (-t)
    for ((i = 0; i < ${#flags[@]}; i++)); do
      if [[ ${flags[i]} == --threads ]]; then ((++i)); else without_threads+=("${flags[i]}"); fi
    done
    host_run 4 env VAE_DIST="$vae_dist" OMPI_MCA_plm_rsh_agent="$work/rsh_agent" OMPI_MCA_btl=tcp,vader,self \
      OMPI_MCA_btl_tcp_if_include=$HOSTS_SUBNET.0/24 OMPI_MCA_oob_tcp_if_include=$HOSTS_SUBNET.0/24 \
      timeout 400 bash "$here/../../launch/vae_run.sh" --hostfile "$work/ranks_hostfile" --oversubscribe --max-restarts 1 -t 1 -- \
      "${without_threads[@]}" --out "$work/run" >"$work/run.log" 2>&1 &
    job=$!
    for _ in $(seq 1200); do [[ -s $work/run/metrics.jsonl ]] || ! kill -0 $job 2>/dev/null && break; sleep 0.1; done  # epoch 1 is done
    sleep 1
    kill_host $victim
    wait $job || fail "vae_run.sh did not finish the run after host $victim died (exit $?)"
    [[ -n ${KEEP_LOG:-} ]] && cp "$work/run.log" "$KEEP_LOG"
    grep -q "restart 1 of 1 on 2 host(s)" "$work/run.log" || fail "no restart on 2 hosts"
    grep -q "$HOSTS_SUBNET.$victim does not answer" "$work/run.log" || fail "vae_run.sh did not name the dead host"
    saved=$(grep -o -m1 "saved the last step every rank completed: .*" "$work/run.log") || fail "no survivor saved the last step"
    grep -q "resumed      at epoch 2, step" "$work/run.log" || fail "the restart did not resume within epoch 2"
    rows=$(check_restarted_run "$work/reference" "$work/run" $ROWS) || fail "the restarted run: $rows"
    echo "ok: host $victim died; ${saved#saved the last step every rank completed: } saved by the survivors; restarted on 2 hosts and finished; $rows" ;;
esac
