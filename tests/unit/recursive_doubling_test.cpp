// The control all-reduce's exchanges (Note [Control all-reduce] in recursive_doubling.hpp), played
// out by a small message-passing loop: every rank count ends with every rank holding the sum, the
// same bits everywhere, in about log2(p) rounds.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "vae/recursive_doubling.hpp"

namespace vae {
namespace {

// Runs each rank's exchanges; sends are buffered, a receive waits for its message. Returns each
// rank's final value, or an empty vector on a deadlock.
std::vector<double> play(const std::vector<double>& values) {
  const int ranks = static_cast<int>(values.size());
  std::vector<std::vector<Exchange>> rounds;
  for (int r = 0; r < ranks; ++r) rounds.push_back(recursive_doubling_rounds(r, ranks));
  std::vector<double> mine = values;
  std::vector<size_t> next(values.size(), 0);
  std::vector<bool> sent(values.size(), false);
  std::map<std::pair<int, int>, std::deque<double>> wires;  // (from, to) → values in flight
  for (bool moved = true; moved;) {
    moved = false;
    for (int r = 0; r < ranks; ++r) {
      auto& i = next[static_cast<size_t>(r)];
      if (i == rounds[static_cast<size_t>(r)].size()) continue;
      const Exchange& e = rounds[static_cast<size_t>(r)][i];
      if (e.send && !sent[static_cast<size_t>(r)]) {
        wires[{r, e.peer}].push_back(mine[static_cast<size_t>(r)]);
        sent[static_cast<size_t>(r)] = true;
        moved = true;
      }
      if (e.receive) {
        auto& wire = wires[{e.peer, r}];
        if (wire.empty()) continue;
        mine[static_cast<size_t>(r)] = e.combine ? mine[static_cast<size_t>(r)] + wire.front() : wire.front();
        wire.pop_front();
      }
      ++i;
      sent[static_cast<size_t>(r)] = false;
      moved = true;
    }
  }
  for (int r = 0; r < ranks; ++r)
    if (next[static_cast<size_t>(r)] != rounds[static_cast<size_t>(r)].size()) return {};
  return mine;
}

TEST(RecursiveDoubling, EveryRankCountEndsWithTheSameSumEverywhere) {
  for (int ranks = 1; ranks <= 40; ++ranks) {
    std::vector<double> values;
    double exact = 0;
    for (int r = 0; r < ranks; ++r) {
      values.push_back(1.0 / (r + 3));  // sums that rounding could make differ between ranks
      exact += values.back();
    }
    const auto result = play(values);
    ASSERT_EQ(result.size(), values.size()) << ranks << " ranks deadlocked";
    for (int r = 0; r < ranks; ++r) {
      EXPECT_EQ(result[static_cast<size_t>(r)], result[0]) << "rank " << r << " of " << ranks << " holds other bits";
      EXPECT_NEAR(result[static_cast<size_t>(r)], exact, 1e-12);
    }
  }
}

TEST(RecursiveDoubling, RoundsGrowWithTheLogarithmOfTheRankCount) {
  for (int ranks : {2, 3, 64, 1000, 8192}) {
    const int log2 = static_cast<int>(std::floor(std::log2(ranks)));
    for (int rank : {0, 1, ranks - 1}) EXPECT_LE(recursive_doubling_rounds(rank, ranks).size(), static_cast<size_t>(log2 + 2)) << ranks;
  }
}

}  // namespace
}  // namespace vae
