// The importance-weighted estimate's rows and noise do not depend on how the test split is sharded.
#include <gtest/gtest.h>

#include "vae/evaluator.hpp"

namespace vae {
namespace {

std::vector<int64_t> rows_over_ranks(int64_t split_rows, int64_t subset, int world_size) {
  std::vector<int64_t> all;
  for (int rank = 0; rank < world_size; ++rank) {
    const auto mine = iw_rows_in_shard(split_rows, subset, shard_rows(split_rows, world_size, rank));
    all.insert(all.end(), mine.begin(), mine.end());
  }
  return all;
}

TEST(ImportanceWeightedRows, AreSpreadOverTheSplitTheSameForEveryRankCount) {
  const auto one = rows_over_ranks(10000, 1000, 1);
  ASSERT_EQ(one.size(), 1000u);
  EXPECT_EQ(one.front(), 0);
  EXPECT_EQ(one[1], 10);
  EXPECT_EQ(one.back(), 9990);
  for (int world : {2, 3, 7, 8, 64}) EXPECT_EQ(rows_over_ranks(10000, 1000, world), one) << world << " ranks";
  // Uneven: 251 rows, 40 of them, over 3 ranks.
  EXPECT_EQ(rows_over_ranks(251, 40, 3), rows_over_ranks(251, 40, 1));
}

TEST(ImportanceWeightedRows, GiveEachRankAnEvenShare) {
  for (int world : {2, 3, 8}) {
    for (int rank = 0; rank < world; ++rank) {
      const auto mine = iw_rows_in_shard(10000, 1000, shard_rows(10000, world, rank));
      EXPECT_NEAR(static_cast<double>(mine.size()), 1000.0 / world, 1.0) << "rank " << rank << " of " << world;
    }
  }
}

TEST(ImportanceWeightedRows, TakeTheWholeSplitWhenTheSubsetIsLarger) {
  const auto rows = iw_rows_in_shard(50, 1000, {10, 20});
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows.front(), 10);
  EXPECT_EQ(rows.back(), 19);
  EXPECT_TRUE(iw_rows_in_shard(50, 0, {0, 50}).empty());
}

TEST(ImportanceNoise, DependsOnlyOnTheRowNotOnItsNeighbours) {
  const auto together = importance_noise({3, 17, 40}, 5, 4, 11);
  ASSERT_EQ(together.sizes(), (std::vector<int64_t>{5, 3, 4}));
  const auto alone = importance_noise({17}, 5, 4, 11);
  EXPECT_TRUE(torch::equal(together.select(1, 1), alone.select(1, 0)));
  EXPECT_FALSE(torch::equal(together.select(1, 0), together.select(1, 1)));
  EXPECT_FALSE(torch::equal(importance_noise({17}, 5, 4, 12), alone));  // the seed matters
}

}  // namespace
}  // namespace vae
