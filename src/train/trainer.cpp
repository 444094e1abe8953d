#include "vae/trainer.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "vae/error.hpp"
#include "vae/evaluator.hpp"
#include "vae/grad_sync.hpp"
#include "vae/loader.hpp"
#include "vae/metrics_log.hpp"
#include "vae/objective.hpp"
#include "vae/progress.hpp"
#include "vae/train_setup.hpp"

namespace vae {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The model with its initial weights drawn from --seed (rank 0's are broadcast to all anyway).
std::shared_ptr<VaeModel> seeded_model(const TrainConfig& config, const DatasetInfo& info) {
  torch::manual_seed(config.seed);
  return make_model({config.model, {info.channels, info.height, info.width}, config.latent_dim});
}

// Per-rank sums of one epoch's training steps.
struct TrainSums {
  double loss = 0, kl = 0, images = 0, seconds = 0;
};

class Trainer {
 public:
  Trainer(const Runtime& runtime, const TrainConfig& config, TrainingData data)
      : runtime_(runtime),
        config_(config),
        data_(std::move(data)),
        threads_(configure_threads(runtime, config)),
        device_(pick_device(runtime)),
        model_(seeded_model(config, data_.info)),
        noise_(at::detail::createCPUGenerator(config.seed * 1000003 + static_cast<uint64_t>(runtime.rank()))),
        test_noise_(test_noise_table(data_.info.test_rows, config.latent_dim, config.seed)),
        test_pixels_(pixels_as_tensor(data_.test_shard)) {
    model_->to(device_);
    const bool ranks_share_gpu = device_.is_cuda() && runtime.local_size() > static_cast<int>(torch::cuda::device_count());
    comm_ = make_communicator(runtime, device_.is_cuda() ? device_.index() : -1, ranks_share_gpu,
                              CommOptions{config.collective_timeout_s, std::min(30.0, config.collective_timeout_s / 2)});
    grad_sync_ = std::make_unique<GradSync>(model_->parameters(), *comm_, runtime.world_size(),
                                            GradSync::Options{config.bucket_mb, config.overlap});
    grad_sync_->broadcast_parameters();
    optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(), torch::optim::AdamOptions(config.lr));
    loader_ = std::make_unique<Loader>(std::move(data_.train_shard),
                                       Loader::Options{data_.plan, model_->canvas(), config.shuffle, config.seed, runtime.rank(), device_});
  }

  void run() {
    const int64_t steps = config_.max_steps > 0 ? std::min(config_.max_steps, data_.plan.steps_per_epoch) : data_.plan.steps_per_epoch;
    if (runtime_.is_root()) {
      std::printf("vae_dist: training\n%s", configuration_table(runtime_, config_, data_, threads_, device_, comm_->name(),
                                                                 grad_sync_->buckets().size()).c_str());
      std::fflush(stdout);
    }
    std::unique_ptr<MetricsLog> metrics_log;
    if (runtime_.is_root())
      metrics_log = std::make_unique<MetricsLog>((std::filesystem::path(config_.out_dir) / "metrics.jsonl").string(),
                                                 MetricsLog::Mode::kTruncate);
    ProgressLine progress(config_.epochs, steps, runtime_.is_root(), runtime_.world_size() == 1 && isatty(STDOUT_FILENO));
    const auto start = Clock::now();
    int64_t step_count = 0;
    for (int epoch = 1; epoch <= config_.epochs; ++epoch) {
      const TrainSums train = train_epoch(epoch, steps, progress);
      step_count += steps;
      const ElboSums test = evaluate_elbo(*model_, test_pixels_, data_.test_rows.begin, test_noise_, config_.beta, 256, device_);
      check_replicas_agree(runtime_, model_->parameters());
      const EpochMetrics metrics = reduce(epoch, step_count, train, test, seconds_since(start));
      if (runtime_.is_root()) {
        progress.epoch_end(metrics);
        metrics_log->write(metrics);
      }
    }
  }

 private:
  TrainSums train_epoch(int epoch, int64_t steps, ProgressLine& progress) {
    model_->train();
    loader_->start_epoch(epoch);
    TrainSums sums;
    const auto start = Clock::now();
    for (int64_t step = 0; step < steps; ++step) {
      const auto x = loader_->batch(step);
      const auto eps = torch::randn({x.size(0), config_.latent_dim}, noise_, torch::kFloat32).to(device_);
      grad_sync_->zero_grad();
      const LossTerms terms = negative_elbo(*model_, x, eps);
      const auto per_image = terms.per_image(config_.beta);
      per_image.mean().backward();
      grad_sync_->finish();
      optimizer_->step();
      const double batch_loss = per_image.sum().item<double>();
      if (!std::isfinite(batch_loss))
        throw UserError("rank " + std::to_string(runtime_.rank()) + ": the loss became " + std::to_string(batch_loss) + " at epoch " +
                        std::to_string(epoch) + ", step " + std::to_string(step + 1) + ": lower --lr or check the data for bad values");
      sums.loss += batch_loss;
      sums.kl += terms.kl.sum().item<double>();
      sums.images += static_cast<double>(x.size(0));
      progress.step(epoch, step, batch_loss / static_cast<double>(x.size(0)));
    }
    sums.seconds = seconds_since(start);
    return sums;
  }

  EpochMetrics reduce(int epoch, int64_t step_count, const TrainSums& train, const ElboSums& test, double elapsed) const {
    std::vector<double> sums{train.loss, train.kl, train.images, test.loss, test.kl, test.images};
    runtime_.allreduce_sum(sums);
    const double slowest = runtime_.allreduce_max(train.seconds);  // the epoch lasts as long as its slowest rank
    EpochMetrics m;
    m.epoch = epoch;
    m.epochs = config_.epochs;
    m.step = step_count;
    m.train_loss = sums[0] / sums[2];
    m.train_kl = sums[1] / sums[2];
    m.test_loss = sums[3] / sums[5];
    m.test_kl = sums[4] / sums[5];
    m.images_per_s = sums[2] / slowest;
    m.epoch_s = slowest;
    m.elapsed_s = elapsed;
    m.eta_s = elapsed / epoch * (config_.epochs - epoch);
    m.world_size = runtime_.world_size();
    return m;
  }

  const Runtime& runtime_;
  const TrainConfig& config_;
  TrainingData data_;
  int threads_;
  torch::Device device_;
  std::shared_ptr<VaeModel> model_;
  at::Generator noise_;       // ε for training, one stream per rank
  torch::Tensor test_noise_;  // ε for the test split, the same on every rank
  torch::Tensor test_pixels_;
  std::unique_ptr<Communicator> comm_;
  std::unique_ptr<GradSync> grad_sync_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::unique_ptr<Loader> loader_;
};

}  // namespace

void run_training(const Runtime& runtime, const TrainConfig& config) {
  TrainingData data = load_training_data(runtime, config);
  prepare_output_dir(runtime, config, data.info);
  Trainer(runtime, config, std::move(data)).run();
}

}  // namespace vae
