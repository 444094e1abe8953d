# Sourced by bench/simulate_scaling.sh and the simulator's test: building the simulator, running
# it, and SimGrid platform files (version 4.1 XML) of the clusters it runs on.
#   build_simulator OUT        → the binary OUT (smpicxx), from the repository root
#   SIM_FLAGS                  → smpirun's settings: injected compute only (nothing timed on this
#                                machine), no per-call overheads, link parameters as given; SimGrid's
#                                TCP model stays (acknowledgements load the reverse direction, 5%) Every node is a SimGrid cluster host with a private full-duplex link to the
# network; a message between two nodes crosses the sender's link, the network, and the receiver's.
#   platform_xml FILE NAME NODES LINK_BW LINK_LAT [fat-tree] [CORES]
# LINK_BW and LINK_LAT per node link (e.g. 10Gbps, 12.5us). Without fat-tree the network is one
# non-blocking switch (a backbone that never limits); with it, a two-level fat-tree of 32-port
# leaves under 32 spines, full bisection (SimGrid's FAT_TREE cluster), up to 1,024 nodes.
# CORES: ranks a node runs side by side (GPU nodes: 8); they talk through the node's loopback.

SIM_FLAGS=(--cfg=smpi/host-speed:1Gf --cfg=smpi/simulate-computation:no --cfg=smpi/test:0 --cfg=smpi/lat-factor:0:1
           --cfg=smpi/bw-factor:0:1 --log=root.thres:critical)

build_simulator() {
  smpicxx -std=c++17 -O2 -Iinclude -Ibench/sim bench/sim/gradsync_sim.cpp bench/sim/nbc_allreduce.cpp src/comm/bucket_schedule.cpp \
    src/comm/recursive_doubling.cpp src/comm/gradient_allreduce.cpp -o "$1"
}

platform_xml() {
  local file=$1 name=$2 nodes=$3 bw=$4 lat=$5 topology=${6:-switch} cores=${7:-1} shape=""
  if [[ $topology == fat-tree ]]; then
    shape='topology="FAT_TREE" topo_parameters="2;32,32;1,32;1,1"'
    nodes=1024  # the tree is built whole; the job uses its first nodes
  fi
  cat >"$file" <<XML
<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <cluster id="$name" prefix="node-" suffix="" radical="0-$((nodes - 1))" speed="1Gf" core="$cores"
           bw="$bw" lat="$lat" sharing_policy="SPLITDUPLEX" bb_bw="100Tbps" bb_lat="0us"
           loopback_bw="20GBps" loopback_lat="0.5us" $shape/>
</platform>
XML
}

# A hostfile of NODES nodes with RANKS_PER_NODE ranks each (ranks fill a node before the next).
hostfile_for() {
  local file=$1 nodes=$2 per_node=${3:-1} i
  : >"$file"
  for ((i = 0; i < nodes; i++)); do echo "node-$i:$per_node" >>"$file"; done
}
