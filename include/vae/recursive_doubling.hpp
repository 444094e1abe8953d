#pragma once
// Note [Control all-reduce]: the runtime's small all-reduces (each step's stop vote, the start-up
// checks, the metrics) go by recursive doubling over point-to-point messages: log2(p) rounds.
// Through MPI_Iallreduce they would take libnbc's ring, which vae_dist asks Open MPI for because
// gradients need its bandwidth (Note [Gradient all-reduce algorithm]), and a ring takes 2(p−1)
// rounds whatever the size: a stop vote of 40 bytes then costs 2,046 message latencies on 1,024
// ranks (bench/simulate_scaling.sh). Ranks beyond the largest power of two first hand their
// values to a neighbour and get the result back at the end. Each exchange combines the same two
// operands on both sides, and a + b == b + a exactly, so every rank ends with identical bits.
// The scaling simulator (bench/sim/) runs the same rounds.
#include <vector>

namespace vae {

struct Exchange {
  int peer;
  bool send;     // this rank's current values go to the peer
  bool receive;  // the peer's values come in...
  bool combine;  // ...and are combined into this rank's (else they replace them: the result)
};

// The exchanges of `rank` among `ranks`, in order; empty for one rank.
std::vector<Exchange> recursive_doubling_rounds(int rank, int ranks);

}  // namespace vae
