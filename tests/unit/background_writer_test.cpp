// Rank 0's background writer: order, the two failure rules, drain and the final join.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "vae/background_writer.hpp"
#include "vae/error.hpp"

namespace vae {
namespace {

using Failure = BackgroundWriter::Failure;

TEST(BackgroundWriter, RunsJobsInOrderOffTheCallingThread) {
  std::vector<int> order;
  std::thread::id ran_on;
  BackgroundWriter writer;
  for (int i = 0; i < 20; ++i)
    writer.enqueue("job", [&order, &ran_on, i] {
      ran_on = std::this_thread::get_id();
      order.push_back(i);
    }, Failure::kStopsRun);
  writer.drain();
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_NO_THROW(writer.rethrow_failure());
}

TEST(BackgroundWriter, AFailedPictureWarnsAndTheNextJobsStillRun) {
  std::atomic<int> ran{0};
  BackgroundWriter writer;
  writer.enqueue("pictures of epoch 1", [] { throw UserError("samples.png: write failed"); }, Failure::kWarns);
  writer.enqueue("checkpoint", [&] { ++ran; }, Failure::kStopsRun);
  writer.drain();
  EXPECT_EQ(ran, 1);
  EXPECT_NO_THROW(writer.rethrow_failure());
}

TEST(BackgroundWriter, AFailedCheckpointIsRethrownAndLaterJobsAreSkipped) {
  std::atomic<int> ran{0};
  BackgroundWriter writer;
  writer.enqueue("checkpoint", [] { throw UserError("epoch_0001.pt: write failed (File too large; is the disk full?)"); },
                 Failure::kStopsRun);
  writer.enqueue("pictures", [&] { ++ran; }, Failure::kWarns);
  writer.drain();
  EXPECT_EQ(ran, 0);
  try {
    writer.rethrow_failure();
    FAIL() << "no failure rethrown";
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(), "epoch_0001.pt: write failed (File too large; is the disk full?)");
  }
}

TEST(BackgroundWriter, FinishesQueuedJobsBeforeItIsDestroyed) {
  std::atomic<int> ran{0};
  {
    BackgroundWriter writer(2);  // a short queue: enqueue waits instead of piling up copies
    for (int i = 0; i < 6; ++i)
      writer.enqueue("slow", [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ++ran;
      }, Failure::kStopsRun);
  }
  EXPECT_EQ(ran, 6);
}

}  // namespace
}  // namespace vae
