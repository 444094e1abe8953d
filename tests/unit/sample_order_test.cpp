#include "vae/sample_order.hpp"

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

TEST(SampleOrder, LanesAreContiguousAndDifferByAtMostOneRow) {
  for (int64_t rows : {128, 1000, 60000}) {
    for (int64_t batch : {1, 64, 100, 128}) {
      const SampleOrder order(rows, batch, Remainder::kPartial);
      int64_t next = 0;
      for (int64_t lane = 0; lane < batch; ++lane) {
        const RowRange r = order.lane_rows(lane);
        ASSERT_EQ(r.begin, next);
        EXPECT_TRUE(r.size() == rows / batch || r.size() == rows / batch + 1) << rows << " rows, lane " << lane;
        next = r.end;
      }
      EXPECT_EQ(next, rows);
    }
  }
}

TEST(SampleOrder, PartialSeesEveryRowAndDropOnlyWholeSteps) {
  // 60,000 rows in batches of 128: 468 whole steps and 96 rows over.
  const SampleOrder partial(60000, 128, Remainder::kPartial), drop(60000, 128, Remainder::kDrop);
  EXPECT_EQ(partial.steps_per_epoch(), 469);
  EXPECT_EQ(drop.steps_per_epoch(), 468);
  EXPECT_EQ(partial.samples_in_step(0), 128);
  EXPECT_EQ(partial.samples_in_step(468), 96);
  int64_t seen = 0;
  for (int64_t step = 0; step < partial.steps_per_epoch(); ++step) seen += partial.samples_in_step(step);
  EXPECT_EQ(seen, 60000);
  EXPECT_EQ(SampleOrder(1024, 128, Remainder::kPartial).steps_per_epoch(), 8) << "no partial step when the batch divides the rows";
}

TEST(SampleOrder, RanksOwnContiguousLanesDifferingByAtMostOne) {
  const SampleOrder order(1000, 100, Remainder::kPartial);
  for (int world : {1, 2, 3, 7, 100}) {
    int64_t next = 0;
    for (int rank = 0; rank < world; ++rank) {
      const LaneRange lanes = lanes_of_rank(order, world, rank);
      ASSERT_EQ(lanes.begin, next);
      EXPECT_TRUE(lanes.size() == 100 / world || lanes.size() == 100 / world + 1) << world << " ranks, rank " << rank;
      EXPECT_EQ(order.rows_of(lanes).begin, order.lane_rows(lanes.begin).begin);
      EXPECT_EQ(order.rows_of(lanes).end, order.lane_rows(lanes.end - 1).end);
      next = lanes.end;
    }
    EXPECT_EQ(next, 100);
  }
}

TEST(SampleOrder, RefusesMoreRanksThanLanesAndBatchesLargerThanTheSplit) {
  EXPECT_THROW(lanes_of_rank(SampleOrder(1000, 4, Remainder::kPartial), 5, 0), UserError);
  EXPECT_THROW(SampleOrder(100, 128, Remainder::kPartial), UserError);
  EXPECT_NO_THROW(SampleOrder(128, 128, Remainder::kDrop));
}

TEST(GlobalBatch, IsTheFlagOrThePerRankBatchTimesRanks) {
  TrainConfig config;
  config.batch_size = 64;
  EXPECT_EQ(global_batch_of(config, 3), 192);
  config.global_batch_size = 100;
  EXPECT_EQ(global_batch_of(config, 3), 100);
}

}  // namespace
}  // namespace vae
