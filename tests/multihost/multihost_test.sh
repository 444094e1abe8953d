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
#       the rank-count tolerance of an uninterrupted 3-rank run, and the dead host is named;
#       many_ranks — MANY_RANKS (default 32) ranks on 8 hosts at 2 images per rank: SIGUSR1 to one
#       rank on vaehost8 once epoch 1 is done stops the job with exit 75 inside epoch 2, --resume
#       auto finishes it, and the record of both sessions is line for line that of one rank at
#       the same global batch, every row once per epoch, the weights within MANY_WITHIN of one
#       rank's; then host 5's link goes down in a fresh run: every rank exits within CUT_BOUND_S,
#       with a message naming vaehost5 (its ranks, or mpirun its daemon).
# Prints SKIPPED and exits 77 where namespaces cannot be made (no root).
set -uo pipefail
case_name=$1 vae_dist=$2 vae_data=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
source "$here/hosts.sh"
trap 'stop_hosts; rm -rf "$work"' EXIT
readonly TIMEOUT_S=10 CUT_BOUND_S=40 ROWS=4993  # --collective-timeout, the bound on every rank's exit after a cut
# many_ranks: 1 and 32 ranks at a global batch of 64 (--kernels torch, 64 steps) end 7.7e-4 apart
# (2.8e-5 after epoch 1): float summation order, which Adam amplifies as tests/mpi/rank_count_test.sh
# explains. One row left out of each epoch (--remainder drop, one step of a single row fewer) ends
# 3.6e-2 apart. 5e-3 lies between, about 6 times each way.
readonly MANY_RANKS=${MANY_RANKS:-32} MANY_WITHIN=5e-3
readonly MANY_JOB_S=$((30 + 2 * MANY_RANKS))  # the limit on each of its jobs: 94 s for 32 ranks, which take about 25
source "$here/../oracle/restarted_run.sh"

fail() { echo "FAIL: $*"; echo "--- output ---"; tail -n 25 "$work"/*.log 2>/dev/null; exit 1; }

slots=2 rows=$ROWS batch=384 job_s=300
case $case_name in
  two_by_two | link_cut) hosts=2 ;;
  three_by_one) hosts=3 ;;
  host_death | root_host_death) hosts=4 ;;
  many_ranks)  # 2 images per rank; 31 whole steps and one of a single row (the last rank's) per epoch
    ((MANY_RANKS >= 8 && MANY_RANKS % 8 == 0)) || fail "MANY_RANKS=$MANY_RANKS: a multiple of 8 ranks, one share per host"
    hosts=8 slots=$((MANY_RANKS / 8)) batch=$((2 * MANY_RANKS)) rows=$((31 * 2 * MANY_RANKS + 1)) job_s=$MANY_JOB_S ;;
  *) fail "unknown case $case_name" ;;
esac
HOSTS_SLOTS=$slots start_hosts $hosts "$work"
status=$?
[[ $status == 0 ]] || exit $status

"$vae_data" synth --out "$work/data.h5" --train $rows --test 200 >/dev/null || fail "vae_data synth"
common=(--data "$work/data.h5" --threads 1 --latent-dim 2 --iw-samples 2 --iw-subset 20 --global-batch-size $batch
        --collective-timeout $TIMEOUT_S --results "$work/results.jsonl")

across_hosts() {  # RANKS LOG FLAGS...: vae_dist across the hosts, ranks filling each host's slots in turn
  local ranks=$1 log=$2
  shift 2
  mpirun_on_hosts_within $job_s -n "$ranks" "$vae_dist" "${common[@]}" "$@" >"$log" 2>&1
}

# The pids of the trainers (vae_dist execs vae_dist-core) on host I, or on every host without I.
ranks_on() {
  local i pid
  for i in ${1:-$(seq $hosts)}; do
    for pid in $(ip netns pids "${hosts_tag}h$i" 2>/dev/null); do
      [[ $(ps -o comm= -p "$pid") == vae_dist-core ]] && echo "$pid"
    done
  done
}

epoch_one_done() {  # RUN_FOLDER JOB: waits until epoch 1's line is written; fails if JOB ends first
  for _ in $(seq $((job_s * 10))); do
    [[ -s $1/metrics.jsonl ]] && return 0
    kill -0 "$2" 2>/dev/null || fail "the job ended before epoch 1's line"
    sleep 0.1
  done
  fail "no epoch 1 line within ${job_s}s"
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
  many_ranks)
    flags=(--epochs 2 --record-samples --kernels torch)  # across_hosts adds common
    started=$SECONDS
    "$vae_dist" "${common[@]}" "${flags[@]}" --out "$work/reference" >"$work/reference.log" 2>&1 || fail "the 1-rank run"
    # Stopped by one rank on the last host, inside epoch 2.
    across_hosts $MANY_RANKS "$work/stopped.log" "${flags[@]}" --out "$work/run" &
    job=$!
    epoch_one_done "$work/run" $job
    victim=$(ranks_on 8 | head -n 1)
    [[ -n $victim ]] || fail "no vae_dist-core on vaehost8"
    kill -USR1 "$victim"
    wait $job
    status=$?
    [[ $status == 75 ]] || fail "the job stopped by SIGUSR1 to pid $victim on vaehost8 exited $status, not 75"
    grep -q "ranks        $MANY_RANKS on 8 hosts ($slots on vaehost1)" "$work/stopped.log" || fail "the table does not show $MANY_RANKS ranks on 8 hosts"
    grep -q "$batch global, 2 per rank" "$work/stopped.log" || fail "not 2 images per rank"
    stop=$(grep -o -m1 "stopped on request at epoch 2, step [0-9]*" "$work/stopped.log") || fail "no stop inside epoch 2 in the log"
    across_hosts $MANY_RANKS "$work/resumed.log" "${flags[@]}" --out "$work/run" --resume auto || fail "--resume auto on $MANY_RANKS ranks"
    grep -q "resumed      at epoch 2, step" "$work/resumed.log" || fail "the resumed run did not go on inside epoch 2"
    [[ -f $work/run/checkpoints/epoch_0002.pt ]] || fail "the resumed run did not finish epoch 2"
    cmp -s <(sort "$work"/reference/sample_record/*.csv) <(sort "$work"/run/sample_record/*.csv) ||
      fail "$MANY_RANKS ranks (stopped and resumed) trained on other rows in other steps than 1 rank"
    /usr/bin/python3 "$here/../oracle/each_row_once.py" "$work/run" $rows 2 >/dev/null || fail "a row was skipped or repeated"
    apart=$(/usr/bin/python3 "$here/../oracle/same_weights.py" "$work/reference/checkpoints/epoch_0002.pt" "$work/run/checkpoints/epoch_0002.pt" \
      --within $MANY_WITHIN 2>&1) || fail "$MANY_RANKS ranks ended with other weights than 1 rank: $apart"
    trained=$((SECONDS - started))

    # A fresh run loses host 5's link inside epoch 2: the ranks there end by their own collective
    # timeout, the others by theirs or by mpirun's keepalive on its daemon there.
    across_hosts $MANY_RANKS "$work/cut.log" --epochs 3 --out "$work/cut" &
    job=$!
    epoch_one_done "$work/cut" $job
    sleep 1  # past epoch 1's closing collective, among epoch 2's steps
    in_switch ip link set "$(host_link 5)" down
    cut_at=$SECONDS
    wait $job
    status=$?
    ((status != 0)) || fail "the job exited 0 after host 5's link was cut"
    while [[ -n $(ranks_on) ]] && ((SECONDS - cut_at <= CUT_BOUND_S)); do sleep 0.2; done
    took=$((SECONDS - cut_at))
    [[ -z $(ranks_on) ]] || fail "$(ranks_on | wc -l) rank(s) still running ${CUT_BOUND_S}s after the cut"
    lost="ranks $(seq -s ', ' $((4 * slots)) $((5 * slots - 1)))"  # host 5's: mpirun fills each host's slots in turn
    ((slots == 1)) && lost="rank 4"
    grep -q "no word from $lost (vaehost5)" "$work/cut.log" ||
      grep -A3 "lost communication with a remote daemon" "$work/cut.log" | grep -q "Remote daemon.* on node $HOSTS_SUBNET.5" ||
      fail "no message naming the ranks of vaehost5 or the host"
    echo "ok: $MANY_RANKS ranks on 8 hosts: $stop by SIGUSR1 on vaehost8 (exit 75), resumed: 1 rank's rows, weights $apart, in ${trained}s;" \
      "host 5 cut off: every rank ended ${took}s after the cut (exit $status): $(grep -m1 -E "no word from|Remote daemon" "$work/cut.log" | xargs)" ;;
esac
