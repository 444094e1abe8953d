// Run under mpiexec with 2 and 3 ranks (see tests/mpi/CMakeLists.txt). Every rank runs every
// test; a failure on any rank fails the job.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "vae/communicator.hpp"
#include "vae/error.hpp"
#include "vae/evaluator.hpp"
#include "vae/fast_conv_vae.hpp"
#include "vae/grad_sync.hpp"
#include "vae/h5_shard.hpp"
#include "vae/loader.hpp"
#include "vae/objective.hpp"
#include "vae/trainer.hpp"

namespace vae {
namespace {

const Runtime& rt() { return testing::runtime(); }

// One dataset for the whole job: rank 0 writes it, every rank gets its path.
class SharedDataset {
 public:
  SharedDataset(int64_t train, int64_t test) {
    if (rt().is_root()) {
      dir_ = std::make_unique<testing::TempDir>();
      path_ = dir_->file("synthetic.h5");
      testing::write_synthetic(path_, train, test);
    }
    rt().broadcast(path_, 0);
    rt().barrier();
  }
  ~SharedDataset() { rt().barrier(); }  // nobody deletes the file while another rank reads it
  const std::string& path() const { return path_; }

 private:
  std::unique_ptr<testing::TempDir> dir_;
  std::string path_;
};

constexpr int64_t kLatent = 4;
// Plain SGD: the step is proportional to the gradient, so parameters differ exactly as much as
// the averaged gradients do. (Adam divides by √v, which turns rounding noise in a near-zero
// gradient into a step of up to lr either way, hiding the comparison.)
constexpr double kLearningRate = 1e-4;

std::shared_ptr<VaeModel> fresh_model() {
  torch::manual_seed(3);
  return make_model({ModelKind::kConv, {1, 28, 28}, kLatent});
}

// ε for every lane of step `step`: [global batch, latent], the same on any rank count.
torch::Tensor lane_noise(int64_t step, int64_t global_batch) {
  auto generator = at::detail::createCPUGenerator(static_cast<uint64_t>(step + 1000));
  return torch::randn({global_batch, kLatent}, generator, torch::kFloat32);
}

Loader loader_of(const DatasetInfo& info, int world, int rank, int64_t global_batch) {
  const SampleOrder order(info.train_rows, global_batch, Remainder::kPartial);
  const LaneRange lanes = lanes_of_rank(order, world, rank);
  Loader loader(read_shard(info, Split::kTrain, order.rows_of(lanes)), {order, lanes, {1, 32, 32}, Shuffle::kOn, 5, torch::kCPU});
  loader.start_epoch(1);
  return loader;
}

// `steps` data-parallel steps of this rank with GradSync, as the trainer takes them (each rank's
// loss sum over the step's global sample count), through autograd or the fast path (which
// announces each gradient to GradSync itself); returns the final parameters.
std::vector<torch::Tensor> train_distributed(const DatasetInfo& info, int64_t global_batch, int64_t steps, Overlap overlap, double bucket_mb,
                                             Kernels kernels = Kernels::kTorch) {
  auto model = fresh_model();
  auto comm = make_mpi_communicator(rt());
  GradSync sync(model->parameters(), *comm, rt().world_size(), {bucket_mb, overlap});
  sync.broadcast_parameters();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(kLearningRate));
  const Loader loader = loader_of(info, rt().world_size(), rt().rank(), global_batch);
  const SampleOrder order(info.train_rows, global_batch, Remainder::kPartial);
  for (int64_t step = 0; step < steps; ++step) {
    const StepBatch batch = loader.step(step);
    sync.zero_grad();
    if (batch.rows.empty()) {
      sync.contribute_nothing();
    } else {
      const auto eps = lane_noise(step, global_batch).index_select(0, torch::tensor(batch.lanes, torch::kInt64));
      const double scale = 1.0 / static_cast<double>(order.samples_in_step(step));
      if (kernels == Kernels::kFast) {
        model->fast_kernels()->train_step(batch.images, eps, 1.0, scale, [&sync](size_t k) { sync.gradient_ready(k); });
      } else {
        (negative_elbo(*model, batch.images, eps, Pass::kAutograd).per_image(1.0).sum() * scale).backward();
      }
    }
    sync.finish();
    sgd.step();
  }
  return model->parameters();
}

// The same steps on one process: the global batch's mean, no GradSync.
std::vector<torch::Tensor> train_single_process(const DatasetInfo& info, int64_t global_batch, int64_t steps) {
  auto model = fresh_model();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(kLearningRate));
  const Loader loader = loader_of(info, 1, 0, global_batch);
  for (int64_t step = 0; step < steps; ++step) {
    const StepBatch batch = loader.step(step);
    const auto eps = lane_noise(step, global_batch).index_select(0, torch::tensor(batch.lanes, torch::kInt64));
    sgd.zero_grad();
    negative_elbo(*model, batch.images, eps, Pass::kAutograd).per_image(1.0).mean().backward();
    sgd.step();
  }
  return model->parameters();
}

double max_abs_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, (a[k] - b[k]).abs().max().item<double>());
  return worst;
}

// 38 steps of a global batch of 16 on this world's ranks (through `kernels`) against one process
// on LibTorch's. 593 = 37 × 16 + 1 rows: the epoch's 38th step takes one sample, from the last
// lane, so every rank but the last contributes nothing to it (and 3 ranks split 16 lanes as 5, 5
// and 6).
void expect_distributed_equals_one_process(Kernels kernels) {
  SharedDataset data(593, 60);
  const DatasetInfo info = read_dataset_info(data.path());
  const auto distributed = train_distributed(info, 16, 38, Overlap::kOn, 0.1, kernels);
  const auto single = train_single_process(info, 16, 38);
  const double moved = max_abs_difference(single, fresh_model()->parameters());
  const double apart = max_abs_difference(distributed, single);
  std::printf("rank %d, %s kernels: parameters moved %.3g, N-rank vs 1-rank difference %.3g\n", rt().rank(), to_string(kernels), moved,
              apart);
  // Same arithmetic up to the order of float additions (per-rank sums added by the all-reduce
  // vs one sum over the global batch, and oneDNN's blocking vs LibTorch's): ~1e-6 relative. 1e-4
  // of the distance the weights moved leaves room for that and still catches a missing average
  // (a difference of ~100% of it), a lost or doubled bucket, or a rank training on the wrong rows.
  EXPECT_GT(moved, 1e-3) << "training moved the weights";
  EXPECT_LT(apart, 1e-4 * moved);
}

TEST(DataParallel, AnyRankCountEqualsOneRankWithTheSameGlobalBatch) { expect_distributed_equals_one_process(Kernels::kTorch); }

// The fast path's backward feeds GradSync's buckets as LibTorch's autograd hooks do: N ranks on
// oneDNN kernels end where one process on LibTorch's does, up to float rounding.
TEST(DataParallel, FastPathOnAnyRankCountEqualsLibTorchOnOneRank) { expect_distributed_equals_one_process(Kernels::kFast); }

TEST(DataParallel, OverlapOnAndOffGiveTheSameParameters) {
  SharedDataset data(300, 30);
  const DatasetInfo info = read_dataset_info(data.path());
  const auto overlapped = train_distributed(info, 24, 4, Overlap::kOn, 0.05);
  const auto fused = train_distributed(info, 24, 4, Overlap::kOff, 0.05);
  const double apart = max_abs_difference(overlapped, fused);
  // The all-reduce (Note [Gradient all-reduce algorithm]) adds an element's per-rank values
  // in an order set by where the element falls in the buffer reduced, and buckets cut the buffer
  // differently from one fused call. On 2 ranks every element is a + b either way: bitwise equal.
  // On more, the association differs: last-bit differences, nothing like a lost or doubled bucket.
  if (rt().world_size() <= 2) {
    EXPECT_EQ(apart, 0.0);
  } else {
    EXPECT_LT(apart, 1e-6 * max_abs_difference(fused, fresh_model()->parameters()));
  }
}

TEST(DataParallel, ReplicasAgreeAndADivergedOneIsCaught) {
  auto model = fresh_model();
  EXPECT_NO_THROW(check_replicas_agree(rt(), model->parameters()));
  if (rt().rank() == rt().world_size() - 1) {
    torch::NoGradGuard no_grad;
    model->parameters()[0].view(-1)[0] += 1e-3f;
  }
  EXPECT_THROW(check_replicas_agree(rt(), model->parameters()), std::runtime_error);
}

TEST(DataParallel, ShardedTestLossEqualsTheWholeSetOnOneProcess) {
  SharedDataset data(100, 251);  // 251 test rows: uneven shards
  const DatasetInfo info = read_dataset_info(data.path());
  auto model = fresh_model();
  const auto table = test_noise_table(info.test_rows, kLatent, 9);
  const RowRange rows = shard_rows(info.test_rows, rt().world_size(), rt().rank());
  ImageSet shard = read_shard(info, Split::kTest, rows);
  const ElboSums mine = evaluate_elbo(*model, pixels_as_tensor(shard), rows.begin, table, 1.0, 32, torch::kCPU);
  std::vector<double> sums{mine.loss, mine.images};
  rt().allreduce_sum(sums);
  ImageSet whole = read_shard(info, Split::kTest, {0, info.test_rows});
  const ElboSums all = evaluate_elbo(*model, pixels_as_tensor(whole), 0, table, 1.0, 32, torch::kCPU);
  EXPECT_EQ(sums[1], 251.0);
  EXPECT_NEAR(sums[0] / sums[1], all.loss / all.images, 1e-6 * all.loss / all.images);
}

TEST(DataParallel, ShardedImportanceWeightedNllEqualsOneProcessAndSplitsTheWorkEvenly) {
  SharedDataset data(100, 251);
  const DatasetInfo info = read_dataset_info(data.path());
  auto model = fresh_model();
  const int64_t subset = 40, samples = 8, batch = 16;
  const RowRange rows = shard_rows(info.test_rows, rt().world_size(), rt().rank());
  ImageSet shard = read_shard(info, Split::kTest, rows);
  const ElboSums mine = importance_weighted_on_shard(*model, pixels_as_tensor(shard), rows, info.test_rows, subset, samples, 5, batch, torch::kCPU);
  // Every rank evaluates its even share of the subset (the old scheme gave it all to rank 0).
  const double share = static_cast<double>(subset) / rt().world_size();
  EXPECT_LE(std::abs(mine.images - share), 1.0) << "rank " << rt().rank() << " evaluated " << mine.images;
  std::vector<double> sums{mine.loss, mine.images};
  rt().allreduce_sum(sums);
  ImageSet whole = read_shard(info, Split::kTest, {0, info.test_rows});
  const RowRange all_rows{0, info.test_rows};
  const ElboSums all = importance_weighted_on_shard(*model, pixels_as_tensor(whole), all_rows, info.test_rows, subset, samples, 5, batch, torch::kCPU);
  EXPECT_EQ(sums[1], static_cast<double>(subset));
  // The same images with the same ε: equal up to the order of the double-precision sum.
  EXPECT_NEAR(sums[0] / sums[1], all.loss / all.images, 1e-6 * all.loss / all.images);
}

TEST(DataParallel, AFailureOnOneRankReachesEveryRankWithItsMessage) {
  const int culprit = rt().world_size() - 1;
  try {
    rt().all_or_none([&] {
      if (rt().rank() == culprit) throw UserError("rank " + std::to_string(culprit) + " cannot read its shard");
    });
    FAIL() << "no error on rank " << rt().rank();
  } catch (const CollectiveError& e) {
    EXPECT_EQ(std::string(e.what()), "rank " + std::to_string(culprit) + " cannot read its shard");
  }
  EXPECT_NO_THROW(rt().all_or_none([] {}));
}

TEST(DataParallel, EveryRankFinishesTheEpochsStepsUnderBothRemainders) {
  SharedDataset data(1000, 100);  // a global batch of 64 × ranks leaves a partial last step
  std::unique_ptr<testing::TempDir> out;
  std::string out_dir;
  if (rt().is_root()) {
    out = std::make_unique<testing::TempDir>();
    out_dir = out->file("run");
  }
  rt().broadcast(out_dir, 0);
  TrainConfig config;
  config.data_path = data.path();
  config.out_dir = out_dir;
  config.epochs = 2;
  config.latent_dim = kLatent;
  config.threads = 1;
  config.force = true;  // the second policy trains into the same folder
  for (Remainder remainder : {Remainder::kPartial, Remainder::kDrop}) {
    config.remainder = remainder;
    const int64_t steps = SampleOrder(1000, config.batch_size * rt().world_size(), remainder).steps_per_epoch();
    run_training(rt(), config);  // returns on every rank: no rank waits on a collective the others skipped
    if (rt().is_root()) {
      std::ifstream in(out_dir + "/metrics.jsonl");
      std::string last, line;
      while (std::getline(in, line)) last = line;
      EXPECT_EQ(nlohmann::json::parse(last)["step"], 2 * steps);
    }
  }
}

}  // namespace
}  // namespace vae
