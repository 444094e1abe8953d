#include "vae/loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "vae/synthetic.hpp"

namespace vae {
namespace {

TEST(EpochPermutation, IsAPermutationSeededByEpochAndRank) {
  const auto a = epoch_permutation(1000, 5, 3, 1);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
  EXPECT_EQ(a, epoch_permutation(1000, 5, 3, 1));
  EXPECT_NE(a, epoch_permutation(1000, 5, 4, 1));
  EXPECT_NE(a, epoch_permutation(1000, 5, 3, 2));
  EXPECT_NE(a, epoch_permutation(1000, 6, 3, 1));
}

Loader make_loader(int64_t rows, int64_t batch, int64_t steps, Shuffle shuffle) {
  ImageSet shard = make_synthetic({rows, 1, 28, 1}).train;
  ShardPlan plan{{0, rows}, batch, steps};
  return Loader(std::move(shard), {plan, {1, 32, 32}, shuffle, 9, 0, torch::kCPU});
}

TEST(Loader, WrapRepeatsTheShardsOwnRowsToFillEveryStep) {
  Loader loader = make_loader(10, 4, 3, Shuffle::kOn);  // 12 slots for 10 rows
  loader.start_epoch(1);
  std::multiset<int64_t> seen;
  for (int64_t step = 0; step < 3; ++step)
    for (int64_t row : loader.rows_of_step(step)) seen.insert(row);
  for (int64_t row = 0; row < 10; ++row) EXPECT_GE(seen.count(row), 1u) << "row " << row << " never seen";
  EXPECT_EQ(seen.size(), 12u);
}

TEST(Loader, BatchesArePaddedFloatsInUnitRange) {
  ImageSet shard = make_synthetic({8, 1, 28, 1}).train;
  const auto first = torch::from_blob(shard.pixels.data(), {28, 28}, torch::kUInt8).to(torch::kFloat32) / 255.0;
  Loader loader(std::move(shard), {{{0, 8}, 4, 2}, {1, 32, 32}, Shuffle::kOff, 0, 0, torch::kCPU});
  const auto batch = loader.batch(0);
  ASSERT_EQ(batch.sizes(), (std::vector<int64_t>{4, 1, 32, 32}));
  EXPECT_EQ(batch.scalar_type(), torch::kFloat32);
  EXPECT_GE(batch.min().item<float>(), 0.0f);
  EXPECT_LE(batch.max().item<float>(), 1.0f);
  EXPECT_TRUE(torch::allclose(crop_to_image(batch, {1, 28, 28})[0][0], first));
}

TEST(Loader, EpochsDrawDifferentOrders) {
  Loader loader = make_loader(100, 10, 10, Shuffle::kOn);
  loader.start_epoch(1);
  const auto one = loader.rows_of_step(0);
  loader.start_epoch(2);
  EXPECT_NE(one, loader.rows_of_step(0));
  loader.start_epoch(1);
  EXPECT_EQ(one, loader.rows_of_step(0)) << "an epoch's order is reproducible";
}

}  // namespace
}  // namespace vae
