#include <gtest/gtest.h>

#include <numeric>

#include "vae/bucket_schedule.hpp"
#include "vae/conv_vae.hpp"
#include "vae/grad_sync.hpp"
#include "vae/objective.hpp"

namespace vae {
namespace {

TEST(AssignBuckets, ReverseOrderEveryParameterOnceContiguous) {
  const std::vector<int64_t> numels = {100, 2000, 50, 4000, 10, 300};
  const auto buckets = assign_buckets(numels, 4 * 2500, 4 * 200);
  std::vector<size_t> order;
  int64_t offset = 0;
  for (const Bucket& b : buckets) {
    EXPECT_EQ(b.offset, offset);
    int64_t count = 0;
    for (size_t k : b.params) count += numels[k];
    EXPECT_EQ(b.count, count);
    offset += b.count;
    order.insert(order.end(), b.params.begin(), b.params.end());
  }
  EXPECT_EQ(order, (std::vector<size_t>{5, 4, 3, 2, 1, 0}));
  // The first bucket closes at the small cap (300 floats ≥ 200), the next once 2500 is reached.
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0].params, (std::vector<size_t>{5}));
  EXPECT_EQ(buckets[1].params, (std::vector<size_t>{4, 3}));
  EXPECT_EQ(buckets[2].params, (std::vector<size_t>{2, 1, 0}));
}

TEST(BucketSchedule, LaunchesInIndexOrderOnceEachBucketIsComplete) {
  // Buckets: {5}, {4, 3}, {2, 1, 0} (as in ReverseOrderEveryParameterOnceContiguous).
  BucketSchedule schedule(assign_buckets({100, 2000, 50, 4000, 10, 300}, 4 * 2500, 4 * 200), 6, /*overlap=*/true);
  EXPECT_TRUE(schedule.gradient_ready(4).empty());  // bucket 1 half done, bucket 0 not yet
  const auto first = schedule.gradient_ready(5);
  EXPECT_EQ(first.first, 0u);
  EXPECT_EQ(first.end, 1u);
  EXPECT_TRUE(schedule.gradient_ready(0).empty());
  const auto second = schedule.gradient_ready(3);
  EXPECT_EQ(second.first, 1u);
  EXPECT_EQ(second.end, 2u);
  schedule.gradient_ready(1);
  const auto third = schedule.gradient_ready(2);
  EXPECT_EQ(third.first, 2u);
  EXPECT_EQ(third.end, 3u);
  EXPECT_TRUE(schedule.finish().empty());
  schedule.start_step();  // the next step waits for every gradient again
  EXPECT_TRUE(schedule.gradient_ready(4).empty());
}

TEST(BucketSchedule, WithoutOverlapEverythingWaitsForFinish) {
  BucketSchedule schedule(assign_buckets({100, 2000, 50, 4000, 10, 300}, 4 * 2500, 4 * 200), 6, /*overlap=*/false);
  for (size_t k = 6; k-- > 0;) EXPECT_TRUE(schedule.gradient_ready(k).empty());
  const auto all = schedule.finish();
  EXPECT_EQ(all.first, 0u);
  EXPECT_EQ(all.end, 3u);
  EXPECT_EQ(schedule.elements(), 100 + 2000 + 50 + 4000 + 10 + 300);
}

TEST(BucketSchedule, AMissingGradientIsNamedAndARankWithoutSamplesCompletesEveryBucket) {
  BucketSchedule schedule(assign_buckets({100, 2000, 50, 4000, 10, 300}, 4 * 2500, 4 * 200), 6, /*overlap=*/true);
  for (size_t k : {5, 4, 3, 2, 0}) schedule.gradient_ready(k);
  EXPECT_THROW(
      try { schedule.finish(); } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("#1"), std::string::npos);
        throw;
      },
      std::runtime_error);
  schedule.start_step();
  schedule.contribute_nothing();
  const auto all = schedule.finish();
  EXPECT_EQ(all.first, 0u);
  EXPECT_EQ(all.end, 3u);
}

TEST(AssignBuckets, OneHugeBucketHoldsEverything) {
  const auto buckets = assign_buckets({5, 6, 7}, 1 << 30, 1 << 30);
  ASSERT_EQ(buckets.size(), 1u);
  EXPECT_EQ(buckets[0].count, 18);
}

TEST(AssignBuckets, TheDefaultSplitsTheConvVaeIntoSeveralBuckets) {
  ConvVae model({ModelKind::kConv, {1, 28, 28}, 16});
  std::vector<int64_t> numels;
  for (const auto& p : model.parameters()) numels.push_back(p.numel());
  const auto buckets = assign_buckets(numels, 512 * 1024, 128 * 1024);
  EXPECT_GE(buckets.size(), 3u) << "the model's 1.6 MB of gradients must not fit one bucket";
  EXPECT_LT(buckets[0].count, buckets[1].count) << "the first bucket is the small one";
}

TEST(GradSync, GradientsAreViewsIntoTheFlatBufferOnOneRank) {
  // A world of one: finish() leaves the plain gradient in .grad, with no communication.
  torch::manual_seed(0);
  ConvVae model({ModelKind::kConv, {1, 28, 28}, 2});
  ConvVae twin({ModelKind::kConv, {1, 28, 28}, 2});
  {
    torch::NoGradGuard no_grad;
    for (size_t k = 0; k < model.parameters().size(); ++k) twin.parameters()[k].copy_(model.parameters()[k]);
  }
  struct NoComm : Communicator {
    std::unique_ptr<CommWork> allreduce_sum_async(float*, size_t) override { throw std::logic_error("no communication expected"); }
    void broadcast(float*, size_t, int) override { throw std::logic_error("no communication expected"); }
    void progress() override {}
    bool reads_device_memory() const override { return false; }
    const char* name() const override { return "none"; }
  } comm;
  GradSync sync(model.parameters(), comm, 1, {0.05, Overlap::kOn});
  const auto x = torch::rand({3, 1, 32, 32});
  for (int round = 0; round < 2; ++round) {  // the second round checks that zero_grad resets
    sync.zero_grad();
    twin.zero_grad();
    forward_with_noise(model, x, torch::zeros({3, 2}), Pass::kAutograd).logits.sum().backward();
    forward_with_noise(twin, x, torch::zeros({3, 2}), Pass::kAutograd).logits.sum().backward();
    sync.finish();
    for (size_t k = 0; k < model.parameters().size(); ++k) {
      EXPECT_TRUE(torch::allclose(model.parameters()[k].grad(), twin.parameters()[k].grad(), 1e-5, 1e-6)) << "parameter " << k;
      EXPECT_TRUE(model.parameters()[k].grad().storage().is_alias_of(model.parameters()[0].grad().storage()))
          << "parameter " << k << "'s gradient is not a view into the one flat buffer";
    }
  }
}

// Records launches instead of communicating; a world of two where the "sum" is the rank's own.
struct RecordingComm : Communicator {
  struct NoWait : CommWork {
    void wait() override {}
  };
  std::unique_ptr<CommWork> allreduce_sum_async(float* data, size_t count) override {
    launches.emplace_back(data, count);
    return std::make_unique<NoWait>();
  }
  void broadcast(float*, size_t, int) override {}
  void progress() override {}
  bool reads_device_memory() const override { return false; }
  const char* name() const override { return "recording"; }
  std::vector<std::pair<float*, size_t>> launches;
};

TEST(GradSync, HooksLaunchEveryBucketInOrderDuringBackward) {
  for (Overlap overlap : {Overlap::kOn, Overlap::kOff}) {
    torch::manual_seed(0);
    ConvVae model({ModelKind::kConv, {1, 28, 28}, 2});
    RecordingComm comm;
    GradSync sync(model.parameters(), comm, 2, {0.1, overlap});
    ASSERT_GE(sync.buckets().size(), 3u);
    sync.zero_grad();
    forward_with_noise(model, torch::rand({2, 1, 32, 32}), torch::zeros({2, 2}), Pass::kAutograd).logits.sum().backward();
    const size_t during_backward = comm.launches.size();
    sync.finish();
    if (overlap == Overlap::kOn) {
      EXPECT_EQ(during_backward, sync.buckets().size()) << "every bucket starts from a hook, before finish()";
      for (size_t b = 0; b < sync.buckets().size(); ++b) {
        EXPECT_EQ(comm.launches[b].second, static_cast<size_t>(sync.buckets()[b].count));
        if (b > 0) EXPECT_EQ(comm.launches[b].first, comm.launches[b - 1].first + comm.launches[b - 1].second) << "in order";
      }
    } else {
      EXPECT_EQ(during_backward, 0u);
      ASSERT_EQ(comm.launches.size(), 1u) << "one fused all-reduce after backward";
      EXPECT_EQ(comm.launches[0].second, static_cast<size_t>(sync.buckets().back().offset + sync.buckets().back().count));
    }
  }
}

}  // namespace
}  // namespace vae
