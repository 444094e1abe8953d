#include "vae/shard_plan.hpp"

#include <gtest/gtest.h>

#include "vae/error.hpp"

namespace vae {
namespace {

TEST(ShardRows, CoverEveryRowOnceAndDifferByAtMostOne) {
  for (int world : {1, 2, 3, 7, 8}) {
    for (int64_t rows : {8, 1000, 1001, 60000}) {
      int64_t expected_begin = 0, smallest = rows, largest = 0;
      for (int rank = 0; rank < world; ++rank) {
        const RowRange r = shard_rows(rows, world, rank);
        EXPECT_EQ(r.begin, expected_begin) << "world " << world << " rank " << rank;
        expected_begin = r.end;
        smallest = std::min(smallest, r.size());
        largest = std::max(largest, r.size());
      }
      EXPECT_EQ(expected_begin, rows);
      EXPECT_LE(largest - smallest, 1);
    }
  }
}

TEST(PlanShard, EveryRankRunsTheSameStepsOnUnevenShards) {
  for (Remainder remainder : {Remainder::kWrap, Remainder::kDrop}) {
    const int64_t steps = plan_shard(1000, 3, 0, 64, remainder).steps_per_epoch;
    for (int rank = 1; rank < 3; ++rank) EXPECT_EQ(plan_shard(1000, 3, rank, 64, remainder).steps_per_epoch, steps);
  }
}

TEST(PlanShard, WrapCoversTheLargestShardDropFitsTheSmallest) {
  // 1000 rows on 3 ranks: shards of 333, 333 and 334 rows.
  EXPECT_EQ(plan_shard(1000, 3, 2, 64, Remainder::kWrap).steps_per_epoch, 6);  // ceil(334 / 64)
  EXPECT_EQ(plan_shard(1000, 3, 2, 64, Remainder::kDrop).steps_per_epoch, 5);  // floor(333 / 64)
  EXPECT_EQ(plan_shard(60000, 1, 0, 64, Remainder::kDrop).steps_per_epoch, 937);
  EXPECT_EQ(plan_shard(60000, 1, 0, 64, Remainder::kWrap).steps_per_epoch, 938);
}

TEST(PlanShard, RejectsWorldsLargerThanTheData) {
  EXPECT_THROW(plan_shard(2, 3, 0, 1, Remainder::kWrap), UserError);
  EXPECT_THROW(plan_shard(100, 2, 0, 64, Remainder::kDrop), UserError);  // 50-row shards, batch 64
  EXPECT_NO_THROW(plan_shard(100, 2, 0, 64, Remainder::kWrap));
}

TEST(PerRankBatch, DerivesFromTheGlobalBatchOrRefuses) {
  EXPECT_EQ(per_rank_batch(64, 0, 4), 64);
  EXPECT_EQ(per_rank_batch(64, 256, 4), 64);
  EXPECT_EQ(per_rank_batch(64, 96, 3), 32);
  EXPECT_THROW(per_rank_batch(64, 100, 3), UserError);
}

}  // namespace
}  // namespace vae
