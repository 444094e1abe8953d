#include "vae/loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "vae/synthetic.hpp"

namespace vae {
namespace {

TEST(EpochPermutation, IsAPermutationSeededByEpochAndLane) {
  const auto a = epoch_permutation(1000, 5, 3, 1);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
  EXPECT_EQ(a, epoch_permutation(1000, 5, 3, 1));
  EXPECT_NE(a, epoch_permutation(1000, 5, 4, 1));
  EXPECT_NE(a, epoch_permutation(1000, 5, 3, 2));
  EXPECT_NE(a, epoch_permutation(1000, 6, 3, 1));
}

// Rank `rank` of `world`'s loader over a synthetic split of `rows` rows (the rows are read from
// the whole split, as read_shard would).
Loader make_loader(const ImageSet& all, int64_t batch, Remainder remainder, int world, int rank, Shuffle shuffle = Shuffle::kOn) {
  const SampleOrder order(all.count, batch, remainder);
  const LaneRange lanes = lanes_of_rank(order, world, rank);
  const RowRange rows = order.rows_of(lanes);
  ImageSet shard;
  std::tie(shard.channels, shard.height, shard.width) = std::tie(all.channels, all.height, all.width);
  shard.count = rows.size();
  shard.pixels.assign(all.pixels.begin() + rows.begin * all.image_size(), all.pixels.begin() + rows.end * all.image_size());
  Loader loader(std::move(shard), {order, lanes, {1, 32, 32}, shuffle, 9, torch::kCPU});
  loader.start_epoch(1);
  return loader;
}

ImageSet synthetic_rows(int64_t rows) { return make_synthetic({rows, 1, 28, 1}).train; }

TEST(Loader, AnEpochTakesEveryRowOfTheRanksLanesExactlyOnce) {
  const ImageSet all = synthetic_rows(1000);
  for (int world : {1, 3}) {
    std::multiset<int64_t> seen;
    for (int rank = 0; rank < world; ++rank) {
      const Loader loader = make_loader(all, 64, Remainder::kPartial, world, rank);
      for (int64_t step = 0; step < loader.steps_per_epoch(); ++step)
        for (int64_t row : loader.step(step).rows) seen.insert(row);
    }
    ASSERT_EQ(seen.size(), 1000u) << world << " ranks";
    for (int64_t row = 0; row < 1000; ++row) EXPECT_EQ(seen.count(row), 1u) << "row " << row << ", " << world << " ranks";
  }
}

TEST(Loader, DropTakesWholeStepsOnly) {
  const Loader loader = make_loader(synthetic_rows(1000), 64, Remainder::kDrop, 1, 0);
  std::set<int64_t> seen;
  for (int64_t step = 0; step < loader.steps_per_epoch(); ++step) {
    const StepBatch batch = loader.step(step);
    EXPECT_EQ(batch.rows.size(), 64u);
    seen.insert(batch.rows.begin(), batch.rows.end());
  }
  EXPECT_EQ(seen.size(), 15u * 64u) << "no row twice";
}

TEST(Loader, TheGlobalStepIsTheSameForAnyRankCount) {
  const ImageSet all = synthetic_rows(1000);
  const Loader one = make_loader(all, 100, Remainder::kPartial, 1, 0);
  for (int world : {2, 3, 7}) {
    std::vector<Loader> ranks;
    for (int rank = 0; rank < world; ++rank) ranks.push_back(make_loader(all, 100, Remainder::kPartial, world, rank));
    for (int64_t step = 0; step < one.steps_per_epoch(); ++step) {
      std::vector<int64_t> rows, lanes;
      for (const Loader& rank : ranks) {
        const StepBatch part = rank.step(step);
        rows.insert(rows.end(), part.rows.begin(), part.rows.end());
        lanes.insert(lanes.end(), part.lanes.begin(), part.lanes.end());
      }
      ASSERT_EQ(rows, one.step(step).rows) << world << " ranks, step " << step;
      ASSERT_EQ(lanes, one.step(step).lanes);
    }
  }
}

TEST(Loader, ARankWhoseLanesAreSpentHasAnEmptyPartialStep) {
  // 10 rows in 4 lanes of 2, 3, 2 and 3 rows: the third step takes lanes 1 and 3 only.
  const ImageSet all = synthetic_rows(10);
  const Loader first = make_loader(all, 4, Remainder::kPartial, 4, 0), second = make_loader(all, 4, Remainder::kPartial, 4, 1);
  ASSERT_EQ(first.steps_per_epoch(), 3);
  EXPECT_TRUE(first.step(2).rows.empty());
  EXPECT_EQ(first.step(2).images.size(0), 0);
  EXPECT_EQ(second.step(2).lanes, std::vector<int64_t>{1});
}

TEST(Loader, BatchesArePaddedFloatsInUnitRange) {
  const ImageSet all = synthetic_rows(8);
  const auto first = torch::from_blob(const_cast<uint8_t*>(all.pixels.data()), {28, 28}, torch::kUInt8).to(torch::kFloat32) / 255.0;
  const Loader loader = make_loader(all, 4, Remainder::kPartial, 1, 0, Shuffle::kOff);
  const StepBatch batch = loader.step(0);
  ASSERT_EQ(batch.images.sizes(), (std::vector<int64_t>{4, 1, 32, 32}));
  EXPECT_EQ(batch.rows, (std::vector<int64_t>{0, 2, 4, 6})) << "without shuffling, step s takes row s of each lane";
  EXPECT_EQ(batch.images.scalar_type(), torch::kFloat32);
  EXPECT_GE(batch.images.min().item<float>(), 0.0f);
  EXPECT_LE(batch.images.max().item<float>(), 1.0f);
  EXPECT_TRUE(torch::allclose(crop_to_image(batch.images, {1, 28, 28})[0][0], first));
}

TEST(Loader, EpochsDrawDifferentOrders) {
  Loader loader = make_loader(synthetic_rows(1000), 10, Remainder::kPartial, 1, 0);
  const auto one = loader.step(0).rows;
  loader.start_epoch(2);
  EXPECT_NE(one, loader.step(0).rows);
  loader.start_epoch(1);
  EXPECT_EQ(one, loader.step(0).rows) << "an epoch's order is reproducible";
}

}  // namespace
}  // namespace vae
