# Sourced by the multi-host tests and benchmarks: N "hosts" on this machine, each a network
# namespace with its own address on a private /24, its own host name, and a real TCP link (a veth
# pair) to a switch namespace holding a bridge. The root namespace's network is never touched.
# Everything is named after a tag of this shell, and stop_hosts removes exactly those names.
#   start_hosts N DIR   → writes DIR/hostfile and DIR/rsh_agent; returns 77 (skip) without root
#   host_run I CMD...   → runs CMD on host I (1-based), as mpirun's own host
#   host_link I         → the name of host I's end of its link in the switch namespace
#   in_switch CMD...    → runs CMD in the switch namespace (cut or slow a link: ip link, tc)
#   kill_host I         → host I dies: its link goes down, every process on it is killed, and it
#                         is gone for good (nothing can be started there again, by mpirun or a test)
#   mpirun_on_hosts …   → mpirun on host 1 across the hosts, over TCP on the /24 only
#   mpirun_on_hosts_within S …  → the same, killed after S seconds
#   wait_for_hosts S    → waits up to S seconds until mpirun reaches every host (after a link comes back)
#   shape_links RATE    → every host's link limited to RATE (tc tbf: 1gbit, 100mbit); "none" lifts it
#   stop_hosts
readonly SKIP=77
readonly HOSTS_SUBNET=10.77.0
hosts_tag="vmh$(($$ % 100000))"
hosts_count=0
hosts_dir=""

stop_hosts() {
  local i
  for ((i = 1; i <= hosts_count; i++)); do
    ip netns del "${hosts_tag}h$i" 2>/dev/null
    ip link del "${hosts_tag}a$i" 2>/dev/null  # a pair left in the root namespace by a failed start
  done
  ip netns del "${hosts_tag}sw" 2>/dev/null
  hosts_count=0
}

start_hosts() {
  local n=$1 i
  hosts_dir=$2
  if [[ $(id -u) -ne 0 ]]; then echo "SKIPPED: network-namespace hosts need root (CAP_NET_ADMIN)"; return $SKIP; fi
  command -v ip >/dev/null && command -v unshare >/dev/null || { echo "SKIPPED: ip (iproute2) or unshare is missing"; return $SKIP; }
  if ! ip netns add "${hosts_tag}sw" 2>/dev/null; then echo "SKIPPED: cannot create a network namespace here"; return $SKIP; fi
  hosts_count=$n
  ip -n "${hosts_tag}sw" link add br0 type bridge && ip -n "${hosts_tag}sw" link set br0 up || { stop_hosts; echo "SKIPPED: no bridge"; return $SKIP; }
  : >"$hosts_dir/hostfile"
  for ((i = 1; i <= n; i++)); do
    local ns="${hosts_tag}h$i"
    ip netns add "$ns" &&
      ip link add "${hosts_tag}a$i" type veth peer name "${hosts_tag}b$i" &&
      ip link set "${hosts_tag}a$i" netns "$ns" &&
      ip link set "${hosts_tag}b$i" netns "${hosts_tag}sw" &&
      ip -n "$ns" link set "${hosts_tag}a$i" name eth0 &&
      ip -n "$ns" addr add "$HOSTS_SUBNET.$i/24" dev eth0 &&
      ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up &&
      ip -n "${hosts_tag}sw" link set "${hosts_tag}b$i" master br0 &&
      ip -n "${hosts_tag}sw" link set "${hosts_tag}b$i" up ||
      { stop_hosts; echo "SKIPPED: could not wire host $i"; return $SKIP; }
    echo "$HOSTS_SUBNET.$i slots=${HOSTS_SLOTS:-2}" >>"$hosts_dir/hostfile"
  done
  # mpirun starts its daemon on host I as `rsh_agent 10.77.0.I orted …`: into that namespace,
  # with a host name of its own (MPI_Get_processor_name, the configuration table, the logs).
  cat >"$hosts_dir/rsh_agent" <<AGENT
#!/usr/bin/env bash
host=\$1; shift
i=\${host##*.}
exec ip netns exec ${hosts_tag}h\$i unshare --uts bash -c 'hostname vaehost'\$i'; exec bash -c "\$*"' _ "\$*"
AGENT
  chmod +x "$hosts_dir/rsh_agent"
}

host_run() {
  local i=$1
  shift
  ip netns exec "${hosts_tag}h$i" unshare --uts bash -c 'hostname "vaehost$0"; exec "$@"' "$i" "$@"
}

host_link() { echo "${hosts_tag}b$1"; }

in_switch() { ip netns exec "${hosts_tag}sw" "$@"; }

# The link first, so that no farewell (a TCP FIN or reset) leaves the host: its peers learn of the
# death as they would of a power cut, from silence. Then SIGSTOP until nothing new appears (a
# daemon forking while it is killed would leave a child behind), SIGKILL until the namespace is
# empty, and the namespace's name goes.
kill_host() {
  local ns="${hosts_tag}h$1" pids _
  in_switch ip link set "$(host_link "$1")" down
  ip -n "$ns" link set eth0 down 2>/dev/null
  for _ in $(seq 20); do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [[ -z $pids ]] && break
    kill -STOP $pids 2>/dev/null
    [[ $(ip netns pids "$ns" 2>/dev/null) == "$pids" ]] && break
  done
  for _ in $(seq 50); do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [[ -z $pids ]] && break
    kill -KILL $pids 2>/dev/null
    sleep 0.1
  done
  [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] || { echo "kill_host: processes left on host $1: $(ip netns pids "$ns")" >&2; return 1; }
  ip netns del "$ns"
}

# The hosts share this machine's cores, but each host's daemon binds its ranks as if it had them
# all (rank 0 of every host on core 0): --bind-to none, or the ranks of different hosts share a core.
mpirun_on_hosts() {
  host_run 1 mpirun --bind-to none --hostfile "$hosts_dir/hostfile" --mca plm_rsh_agent "$hosts_dir/rsh_agent" \
    --mca btl tcp,vader,self --mca btl_tcp_if_include "$HOSTS_SUBNET.0/24" --mca oob_tcp_if_include "$HOSTS_SUBNET.0/24" \
    --mca oob_tcp_keepalive_time 5 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3 \
    -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM -x PATH "$@"
}

# timeout runs programs, not shell functions: hand it a shell that has the functions and the state.
mpirun_on_hosts_within() {
  local seconds=$1
  shift
  timeout "$seconds" bash -c "$(declare -f mpirun_on_hosts host_run); hosts_tag=$hosts_tag hosts_dir=$hosts_dir HOSTS_SUBNET=$HOSTS_SUBNET
    mpirun_on_hosts \"\$@\"" _ "$@"
}

# The first connections after a link comes back up can fail for a moment ("unable to complete a
# TCP connection", a daemon not started): a user resumes once the network works again, and so do
# the tests.
wait_for_hosts() {
  local seconds=$1 start=$SECONDS
  until mpirun_on_hosts_within 20 -n "$hosts_count" --map-by node true >/dev/null 2>&1; do
    ((SECONDS - start < seconds)) || return 1
    sleep 1
  done
}

# A token bucket on the switch side of each host's link shapes the traffic towards that host, so
# every direction of every path between two hosts runs at RATE. The bucket holds 256 KB: more
# than one 64 KB segment (veth passes TCP segments whole) and enough to reach the rate.
shape_links() {
  local rate=$1 i
  for ((i = 1; i <= hosts_count; i++)); do
    if [[ $rate == none ]]; then
      in_switch tc qdisc del dev "$(host_link "$i")" root 2>/dev/null
    else
      in_switch tc qdisc replace dev "$(host_link "$i")" root tbf rate "$rate" burst 256kb latency 100ms || return 1
    fi
  done
  return 0
}
