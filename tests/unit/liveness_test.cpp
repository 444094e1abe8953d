// Which ranks exchange liveness pulses (Note [Naming a lost peer] in src/comm/liveness.hpp).
#include <gtest/gtest.h>

#include <algorithm>

#include "liveness.hpp"

namespace vae {
namespace {

bool hears(int rank, int peer, int world_size) {
  const auto peers = pulse_peers(rank, world_size);
  return std::binary_search(peers.begin(), peers.end(), peer);
}

TEST(PulsePeers, EveryoneHearsEveryoneInASmallJob) {
  const int world_size = 2 * Liveness::kReach + 1;
  for (int rank = 0; rank < world_size; ++rank) EXPECT_EQ(pulse_peers(rank, world_size).size(), static_cast<size_t>(world_size - 1));
}

TEST(PulsePeers, ALargeJobListensToAFixedRingNeighbourhoodBothWays) {
  for (int world_size : {2 * Liveness::kReach + 2, 1000, 8192}) {
    for (int rank : {0, 1, world_size / 2, world_size - 1}) {
      const auto peers = pulse_peers(rank, world_size);
      EXPECT_EQ(peers.size(), static_cast<size_t>(2 * Liveness::kReach)) << world_size;
      EXPECT_TRUE(std::is_sorted(peers.begin(), peers.end()));
      EXPECT_EQ(std::count(peers.begin(), peers.end(), rank), 0);
      for (int peer : peers) EXPECT_TRUE(hears(peer, rank, world_size)) << rank << " hears " << peer << " but not back";
      // The ranks just before and after (a lost node's neighbours) are always heard.
      EXPECT_TRUE(hears(rank, (rank + 1) % world_size, world_size));
      EXPECT_TRUE(hears(rank, (rank + world_size - 1) % world_size, world_size));
    }
  }
}

}  // namespace
}  // namespace vae
