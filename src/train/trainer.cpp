#include "vae/trainer.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <tuple>
#include <thread>

#include "vae/background_writer.hpp"
#include "vae/checkpoint.hpp"
#include "vae/error.hpp"
#include "vae/evaluator.hpp"
#include "vae/fast_conv_vae.hpp"
#include "vae/fused_adam.hpp"
#include "vae/grad_sync.hpp"
#include "vae/loader.hpp"
#include "vae/metrics_log.hpp"
#include "vae/objective.hpp"
#include "vae/plot.hpp"
#include "vae/progress.hpp"
#include "vae/resume_checks.hpp"
#include "vae/run_dir.hpp"
#include "vae/run_reporter.hpp"
#include "vae/run_summary.hpp"
#include "vae/sample_record.hpp"
#include "vae/seeds.hpp"
#include "vae/stop_protocol.hpp"
#include "vae/stop_signal.hpp"
#include "vae/train_setup.hpp"

namespace vae {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

constexpr int64_t kEvalBatch = 256;
constexpr int64_t kReconstructionImages = 32;
constexpr int64_t kScatterImages = 2000;

// The model with its initial weights drawn from --seed (rank 0's are broadcast to all anyway).
std::shared_ptr<VaeModel> seeded_model(const TrainConfig& config, const DatasetInfo& info) {
  torch::manual_seed(config.seed);
  return make_model({config.model, {info.channels, info.height, info.width}, config.latent_dim, config.kernels});
}

// Who saves the last step when a peer is lost: the first two ranks of each of the first four
// nodes. The replicas are equal, so any survivor will do; a few writers survive any one death
// (of a rank or of a node), and a job of a thousand nodes does not send a thousand copies of the
// same file to the shared file system at once.
bool is_rescue_writer(const Runtime& runtime) { return runtime.local_rank() < 2 && runtime.host_index() < 4; }

// One epoch's training so far: the sums over all ranks (each step's vote carries them), and this
// rank's seconds.
struct TrainSums {
  double loss = 0, kl = 0, images = 0, seconds = 0;
};

class Trainer {
 public:
  Trainer(const Runtime& runtime, const TrainConfig& config, std::string run_dir, TrainingData data, const std::string& checkpoint)
      : runtime_(runtime),
        config_(config),
        run_dir_(std::move(run_dir)),
        data_(std::move(data)),
        threads_(configure_threads(runtime, config)),
        device_(pick_device(runtime)),
        model_(seeded_model(config, data_.info)),
        test_noise_(test_noise_table(data_.info.test_rows, config.latent_dim,
                                     derive_seed({static_cast<uint64_t>(Stream::kTestNoise), config.seed}))),
        test_pixels_(pixels_as_tensor(data_.test_shard)),
        stop_protocol_(runtime, config.checkpoint_every_minutes) {
    model_->to(device_);
    const bool ranks_share_gpu = device_.is_cuda() && runtime.local_size() > static_cast<int>(torch::cuda::device_count());
    comm_ = make_communicator(runtime, device_.is_cuda() ? device_.index() : -1, ranks_share_gpu);
    optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(), torch::optim::AdamOptions(config.lr));
    if (!checkpoint.empty()) resume_from(checkpoint);  // before GradSync: loading replaces what its hooks hang on
    grad_sync_ = std::make_unique<GradSync>(model_->parameters(), *comm_, runtime.world_size(),
                                            GradSync::Options{config.bucket_mb, config.overlap});
    grad_sync_->broadcast_parameters();
    loader_ = std::make_unique<Loader>(std::move(data_.train_shard),
                                       Loader::Options{data_.order, data_.lanes, model_->canvas(), config.shuffle, config.seed, device_});
    if (config.record_samples) sample_record_ = std::make_unique<SampleRecord>(run_dir_, runtime.rank());
    if (config.failure_checkpoint) runtime_.set_rescue([this] { return save_last_agreed_step(); });
  }

  ~Trainer() { runtime_.set_rescue(nullptr); }

  // Collective. kStopped: a stop signal ended the run before its first step, or at a step boundary
  // or in an epoch's evaluation with a checkpoint of that point (stop_protocol.hpp).
  TrainingOutcome run() {
    const int64_t steps = steps_per_epoch();
    open_outputs();
    ProgressLine progress(config_.epochs, steps, runtime_.is_root(), runtime_.world_size() == 1 && isatty(STDOUT_FILENO));
    const double elapsed_before = history_.empty() ? 0.0 : history_.back().elapsed_s;
    const auto start = Clock::now();
    if (stop_protocol_.at_step_boundary().stop) return stopped_before_first_step();  // a stop sent while the job started
    for (int epoch = first_epoch_; epoch <= config_.epochs; ++epoch) {
      TrainSums& train = epoch_sums_;
      if (epoch != first_epoch_) train = TrainSums{};
      const int64_t first_step = epoch == first_epoch_ ? first_step_ : 0;
      if (const int64_t stopped_after = train_epoch(epoch, first_step, steps, train, progress); stopped_after >= 0) {
        stop_at({epoch - 1, stopped_after}, train, "at epoch " + std::to_string(epoch) + ", step " + std::to_string(stopped_after));
        return TrainingOutcome::kStopped;
      }
      const ElboSums test = stop_protocol_.evaluation_pass(batches_of(data_.test_shard.count, kEvalBatch), [&](const BetweenBatches& go_on) {
        return evaluate_elbo(*model_, test_pixels_, data_.test_rows.begin, test_noise_, config_.beta, kEvalBatch, device_, go_on);
      });
      const bool measure_iw = !test.abandoned && (epoch % config_.iw_every == 0 || epoch == config_.epochs);
      const ElboSums iw = measure_iw ? stop_protocol_.evaluation_pass(batches_of(static_cast<int64_t>(iw_rows().size()), kImportanceBatch),
                                                       [&](const BetweenBatches& go_on) { return importance_weighted(go_on); })
                                     : ElboSums{};
      if (test.abandoned || iw.abandoned) {  // the epoch's training is done: its checkpoint, with the evaluation left for the resume
        stop_at({epoch - 1, steps}, train, "in the evaluation of epoch " + std::to_string(epoch) + " (its training is done; the evaluation runs on resume)");
        return TrainingOutcome::kStopped;
      }
      check_replicas_agree(runtime_, model_->parameters());
      const double session_s = seconds_since(start);
      history_.push_back(reduce(epoch, train, test, iw, elapsed_before + session_s));
      history_.back().eta_s = session_s / (epoch - first_epoch_ + 1) * (config_.epochs - epoch);
      runtime_.all_or_none([&] {  // a write that failed in the background (a full disk) stops every rank here
        if (!runtime_.is_root()) return;
        writer_->rethrow_failure();
        progress.epoch_end(history_.back());
        hand_off_outputs(epoch);
      });
      agreed_ = {epoch, 0};
    }
    runtime_.all_or_none([&] {  // the last files are on disk before anyone reports success
      if (!runtime_.is_root()) return;
      writer_->drain();
      writer_->rethrow_failure();
      if (!config_.results_path.empty()) append_line(config_.results_path, to_json_line(summary()));
      std::printf("vae_dist: done; outputs in %s\n", run_dir_.c_str());
    });
    return TrainingOutcome::kFinished;
  }

 private:
  void resume_from(const std::string& checkpoint) {
    runtime_.all_or_none([&] {
      const CheckpointState state = load_checkpoint(checkpoint, *model_, optimizer_.get());
      first_epoch_ = state.epoch + 1;
      first_step_ = state.partial.steps;
      step_count_ = state.step;
      history_ = state.history;
      resumed_at_ = agreed_ = {state.epoch, state.partial.steps};
      epoch_sums_ = {state.partial.loss, state.partial.kl, state.partial.images, state.partial.seconds};  // the interrupted epoch's so far
    });
  }

  // Rank 0: the configuration table, metrics.jsonl with the resumed history, the reporter and the
  // writer thread. Collective (a folder that cannot be written stops every rank).
  void open_outputs() {
    runtime_.all_or_none([&] {
      if (!runtime_.is_root()) return;
      std::printf("vae_dist: training\n%s", configuration_table(runtime_, config_, run_dir_, data_, {threads_, device_, fast_kernels() != nullptr},
                                                                 comm_->name(), grad_sync_->buckets().size()).c_str());
      if (step_count_ > 0)
        std::printf("  resumed      at epoch %d, step %lld of it (%lld steps in all)\n", first_epoch_, static_cast<long long>(first_step_),
                    static_cast<long long>(step_count_));
      std::fflush(stdout);
      metrics_log_ = std::make_unique<MetricsLog>((std::filesystem::path(run_dir_) / "metrics.jsonl").string());
      for (const auto& m : history_) metrics_log_->write(m);  // the resumed history, then this session's epochs
      reporter_ = make_reporter();
      writer_ = std::make_unique<BackgroundWriter>();
    });
  }

  std::unique_ptr<RunReporter> make_reporter() {
    const int64_t recon = std::min(kReconstructionImages, data_.test_shard.count);
    const int64_t scatter = std::min(kScatterImages, data_.test_shard.count);
    std::vector<int64_t> labels;
    if (data_.info.has_labels) labels.assign(data_.test_shard.labels.begin(), data_.test_shard.labels.begin() + scatter);
    if (std::any_of(labels.begin(), labels.end(), [](int64_t l) { return l < 0 || l >= kPlotClasses; }))
      labels.clear();  // more classes than the scatter has colours: one colour for all
    return std::make_unique<RunReporter>(RunReporter::Options{run_dir_, config_.seed, config_.gif_delay_cs}, *model_,
                                         test_pixels_.narrow(0, 0, recon), test_pixels_.narrow(0, 0, scatter), labels, first_epoch_ - 1);
  }

  // Rank 0: copies what the epoch's files need and queues their writing on the background
  // thread, so the other ranks never wait for a PNG encoder or an fsync. Pictures are for people:
  // one that cannot be drawn is a warning; a checkpoint or metrics line that cannot be written
  // stops the run (at the next epoch's check, or at the end).
  void hand_off_outputs(int epoch) {
    const auto start = Clock::now();
    const bool checkpoint_due = epoch % config_.checkpoint_every == 0 || epoch == config_.epochs;
    auto snapshot = std::make_shared<CheckpointSnapshot>(checkpoint_due ? snapshot_checkpoint(*model_, *optimizer_, state_at(epoch, {}))
                                                                        : CheckpointSnapshot{copy_to_cpu(*model_), {}, state_at(epoch, {})});
    history_.back().outputs_s = seconds_since(start);  // what rank 0's files cost the training path now
    writer_->enqueue("metrics of epoch " + std::to_string(epoch), [this, m = history_.back()] { metrics_log_->write(m); },
                     BackgroundWriter::Failure::kStopsRun);
    if (checkpoint_due) queue_checkpoint(snapshot, {epoch, 0});
    writer_->enqueue("pictures of epoch " + std::to_string(epoch),
                     [this, snapshot, epoch] { reporter_->epoch_end(*snapshot->model, epoch, snapshot->state.history); },
                     BackgroundWriter::Failure::kWarns);
  }

  CheckpointState state_at(int completed_epochs, PartialEpoch partial) const {
    return {completed_epochs, step_count_, partial, config_json(config_, data_.info, runtime_.world_size()), data_.info.path,
            data_.fingerprint, history_};
  }

  // Rank 0: queues the checkpoint's write (then the pruning of old ones) on the writer thread.
  void queue_checkpoint(std::shared_ptr<CheckpointSnapshot> snapshot, CheckpointPosition position) {
    const std::string path = checkpoint_path(run_dir_, position);
    writer_->enqueue(path, [this, snapshot, path] {
      write_checkpoint(path, *snapshot);
      prune_checkpoints(run_dir_, config_.keep);
    }, BackgroundWriter::Failure::kStopsRun);
    stop_protocol_.checkpoint_queued();
  }

  // Collective: a checkpoint of this exact step within an epoch, with the epoch's training sums so
  // far, so that a resumed run finishes the epoch with the same weights and the same metrics line
  // as one that never stopped. Returns the file it is written to (on rank 0).
  std::string checkpoint_mid_epoch(CheckpointPosition position, const TrainSums& sums) {
    const double seconds = runtime_.allreduce_max(sums.seconds);
    if (!runtime_.is_root()) return "";
    const PartialEpoch partial{position.step, sums.loss, sums.kl, sums.images, seconds};
    queue_checkpoint(std::make_shared<CheckpointSnapshot>(snapshot_checkpoint(*model_, *optimizer_, state_at(position.epoch, partial))), position);
    return checkpoint_path(run_dir_, position);
  }

  // Collective: the checkpoint of the stop, written before any rank leaves, and one line saying
  // where it stopped (`where`) and how to go on.
  void stop_at(CheckpointPosition position, const TrainSums& sums, const std::string& where) {
    runtime_.set_rescue(nullptr);  // the ranks just voted together: rank 0 writes this stop's checkpoint
    const std::string path = checkpoint_mid_epoch(position, sums);
    runtime_.all_or_none([&] {
      if (!runtime_.is_root()) return;
      writer_->drain();
      writer_->rethrow_failure();
      std::printf("vae_dist: stopped on request %s: %s written; continue with --resume auto (exit status %d)\n", where.c_str(), path.c_str(),
                  kExitStoppedResumable);
      std::fflush(stdout);
    });
  }

  // Collective: a stop asked for before this session's first step has nothing new to save.
  TrainingOutcome stopped_before_first_step() {
    runtime_.all_or_none([&] {
      if (!runtime_.is_root()) return;
      std::printf("vae_dist: stopped on request before the first step: nothing new to save; continue with --resume auto (exit status %d)\n",
                  kExitStoppedResumable);
      std::fflush(stdout);
    });
    return TrainingOutcome::kStopped;
  }

  // Steps [first_step, steps) of `epoch`, adding to `sums`. Returns −1 when the epoch is done, or
  // the steps of it taken when the ranks agreed to stop.
  int64_t train_epoch(int epoch, int64_t first_step, int64_t steps, TrainSums& sums, ProgressLine& progress) {
    model_->train();
    loader_->start_epoch(epoch);
    const auto start = Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(sums.seconds));
    for (int64_t step = first_step; step < steps; ++step) {
      const StepBatch batch = loader_->step(step);
      const StepTotals mine = sum_gradients(epoch, step, batch);
      // Recorded as soon as its gradient is in the sum: the survivors of a lost rank may keep a step
      // that this rank never saw voted on, and its rows were trained all the same.
      if (sample_record_) sample_record_->add(epoch, step, batch.rows);
      // The update waits for the vote: a step counts once every rank has voted on it, so a rank
      // that is lost in the step leaves the survivors at the step before (a just-in-time
      // checkpoint's state), with its sums.
      const StopProtocol::Decision decision = stop_protocol_.at_step_boundary(mine);
      const StepTotals& all = decision.totals;
      if (!std::isfinite(all.loss))
        throw CollectiveError("the loss became " + std::to_string(all.loss) + " at epoch " + std::to_string(epoch) + ", step " +
                              std::to_string(step + 1) + ": lower --lr or check the data for bad values");
      apply_update();
      ++step_count_;
      sums.loss += all.loss;
      sums.kl += all.kl;
      sums.images += all.images;
      sums.seconds = seconds_since(start);
      agreed_ = {epoch - 1, step + 1};
      progress.step(epoch, step, all.images > 0 ? all.loss / all.images : 0.0);
      if (decision.stop) return step + 1;
      if (decision.checkpoint) checkpoint_mid_epoch({epoch - 1, step + 1}, sums);
    }
    return -1;
  }

  // Forward and backward on this rank's samples of global step `step`, and the gradients summed
  // over ranks; returns this rank's summed loss, KL and image count.
  StepTotals sum_gradients(int epoch, int64_t step, const StepBatch& batch) {
    grad_sync_->zero_grad();
    double loss = 0, kl = 0;
    if (batch.rows.empty()) {
      grad_sync_->contribute_nothing();  // a partial last step can leave a rank's lanes all spent
    } else {
      const auto eps = lane_noise(epoch, step).index_select(0, torch::tensor(batch.lanes, torch::kInt64)).to(device_);
      // This rank's sum over the whole step's sample count: the sum over ranks that GradSync forms
      // is then the mean over the global batch, however the lanes are split (Note [Lanes]).
      const double scale = 1.0 / static_cast<double>(data_.order.samples_in_step(step));
      if (FastConvVae* fast = fast_kernels()) {
        const auto sums = fast->train_step(batch.images, eps, config_.beta, scale, [this](size_t k) { grad_sync_->gradient_ready(k); });
        loss = sums.loss;
        kl = sums.kl;
      } else {
        std::tie(loss, kl) = autograd_step(batch.images, eps, scale);
      }
    }
    grad_sync_->finish();
    return {loss, kl, static_cast<double>(batch.rows.size())};
  }

  // Both kernels' parameters are contiguous CPU tensors there; a GPU's go through LibTorch's Adam.
  void apply_update() {
    if (device_.is_cpu()) {
      fused_adam_step(*optimizer_);
    } else {
      optimizer_->step();
    }
  }

  // The rescue (Note [Just-in-time checkpoint] in runtime.hpp): this rank's replica as of the last
  // step every rank voted on, written by the rescue writers unless it is where this session began
  // or already on disk (rank 0's, or another survivor's: the replicas are equal, and the rename is
  // atomic). Says what it did.
  std::string save_last_agreed_step() {
    if (step_count_ == 0 || !(resumed_at_ < agreed_)) return "nothing new to save since the last checkpoint";
    if (!is_rescue_writer(runtime_)) return "the first ranks of the first nodes save the last step every rank completed";
    const std::string path = checkpoint_path(run_dir_, agreed_);
    if (std::filesystem::exists(path)) return "the last step every rank completed is saved: " + path;
    const PartialEpoch partial = agreed_.step == 0 ? PartialEpoch{}
                                                   : PartialEpoch{agreed_.step, epoch_sums_.loss, epoch_sums_.kl, epoch_sums_.images,
                                                                  epoch_sums_.seconds};
    CheckpointState state = state_at(agreed_.epoch, partial);
    state.history.erase(std::remove_if(state.history.begin(), state.history.end(),
                                       [&](const EpochMetrics& m) { return m.epoch > agreed_.epoch; }),  // an evaluated epoch not yet handed off
                        state.history.end());
    const auto start = Clock::now();
    save_checkpoint(path, *model_, *optimizer_, state);
    char took[32];
    std::snprintf(took, sizeof(took), " (written in %.2f s)", seconds_since(start));
    return "saved the last step every rank completed: " + path + took;
  }

  // The fast path's step where it runs this model on this device (see fast_conv_vae.hpp).
  FastConvVae* fast_kernels() const { return device_.is_cpu() ? model_->fast_kernels() : nullptr; }

  // Forward and backward through LibTorch's autograd; returns the summed loss and KL.
  std::pair<double, double> autograd_step(const torch::Tensor& images, const torch::Tensor& eps, double scale) {
    const LossTerms terms = negative_elbo(*model_, images, eps, Pass::kAutograd);
    const auto summed = terms.per_image(config_.beta).sum();
    (summed * scale).backward();
    return {summed.item<double>(), terms.kl.sum().item<double>()};
  }

  // ε for every lane of a step, [global batch, latent], drawn from (seed, epoch, step) alone: a
  // sample gets the same noise whichever rank trains it.
  torch::Tensor lane_noise(int epoch, int64_t step) const {
    auto generator = at::detail::createCPUGenerator(
        derive_seed({static_cast<uint64_t>(Stream::kTrainNoise), config_.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(step)}));
    return torch::randn({data_.order.global_batch(), config_.latent_dim}, generator, torch::kFloat32);
  }

  // −log p(x) by importance sampling over this rank's share of the --iw-subset test rows.
  ElboSums importance_weighted(const BetweenBatches& go_on) {
    return importance_weighted_on_shard(*model_, test_pixels_, data_.test_rows, data_.info.test_rows, config_.iw_subset, config_.iw_samples,
                                        derive_seed({static_cast<uint64_t>(Stream::kImportanceSamples), config_.seed}), kImportanceBatch, device_,
                                        go_on);
  }

  // This rank's share of the rows the importance-weighted estimate uses.
  std::vector<int64_t> iw_rows() const { return iw_rows_in_shard(data_.info.test_rows, config_.iw_subset, data_.test_rows); }

  // The plan's steps, or fewer with --max-steps.
  int64_t steps_per_epoch() const {
    return config_.max_steps > 0 ? std::min(config_.max_steps, data_.order.steps_per_epoch()) : data_.order.steps_per_epoch();
  }

  // This session's epochs as one line for scaling studies (see run_summary.hpp).
  RunSummary summary() const {
    RunSummary s;
    s.ranks = runtime_.world_size();
    s.nodes = runtime_.hosts();
    s.threads = threads_;
    s.global_batch = data_.order.global_batch();
    s.per_rank_batch = data_.lanes.size();
    s.steps_per_epoch = steps_per_epoch();
    double images = 0;
    for (const EpochMetrics& m : history_) {
      if (m.epoch < first_epoch_) continue;
      ++s.epochs;
      s.train_s += m.epoch_s;
      s.test_s += m.test_s;
      s.iw_s += m.iw_s;
      images += m.images_per_s * m.epoch_s;
    }
    s.images_per_s = s.train_s > 0 ? images / s.train_s : 0;
    s.process_s = process_seconds();
    s.host = runtime_.host();
    s.cores = static_cast<int>(std::thread::hardware_concurrency());
    s.oversubscribed = runtime_.local_size() * threads_ > s.cores;
    const char* label = std::getenv("VAE_RESULTS_LABEL");
    s.label = label ? label : "";
    return s;
  }

  // The epoch's line: `train` is over all ranks already, the evaluation's sums are this rank's.
  EpochMetrics reduce(int epoch, const TrainSums& train, const ElboSums& test, const ElboSums& iw, double elapsed) const {
    std::vector<double> evaluated{test.loss, test.kl, test.images, iw.loss, iw.images};
    runtime_.allreduce_sum(evaluated);
    const double sums[] = {train.loss, train.kl, train.images, evaluated[0], evaluated[1], evaluated[2], evaluated[3], evaluated[4]};
    const double slowest = runtime_.allreduce_max(train.seconds);  // the epoch lasts as long as its slowest rank
    const double test_s = runtime_.allreduce_max(test.seconds), iw_s = runtime_.allreduce_max(iw.seconds);
    EpochMetrics m;
    m.epoch = epoch;
    m.epochs = config_.epochs;
    m.step = step_count_;
    m.train_loss = sums[0] / sums[2];
    m.train_kl = sums[1] / sums[2];
    m.test_loss = sums[3] / sums[5];
    m.test_kl = sums[4] / sums[5];
    m.test_iw_nll = sums[7] > 0 ? sums[6] / sums[7] : 0.0;
    m.images_per_s = sums[2] / slowest;
    m.epoch_s = slowest;
    m.test_s = test_s;
    m.iw_s = iw_s;
    m.elapsed_s = elapsed;
    m.world_size = runtime_.world_size();
    return m;
  }

  const Runtime& runtime_;
  const TrainConfig& config_;
  std::string run_dir_;
  TrainingData data_;
  int threads_;
  torch::Device device_;
  std::shared_ptr<VaeModel> model_;
  torch::Tensor test_noise_;   // ε for the test split, the same on every rank
  torch::Tensor test_pixels_;  // this rank's test rows, uint8
  std::unique_ptr<Communicator> comm_;
  std::unique_ptr<GradSync> grad_sync_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::unique_ptr<Loader> loader_;
  std::unique_ptr<SampleRecord> sample_record_;  // --record-samples
  int first_epoch_ = 1;
  int64_t first_step_ = 0;        // steps of first_epoch_ already taken (a run resumed mid-epoch)
  TrainSums epoch_sums_;          // the epoch in training (a resumed one's with its earlier steps)
  CheckpointPosition resumed_at_, agreed_;  // where this session began; the last step every rank voted on
  int64_t step_count_ = 0;
  std::vector<EpochMetrics> history_;
  StopProtocol stop_protocol_;
  // Rank 0's outputs; the writer is declared last, so it is joined before the other two go.
  std::unique_ptr<MetricsLog> metrics_log_;
  std::unique_ptr<RunReporter> reporter_;
  std::unique_ptr<BackgroundWriter> writer_;
};

}  // namespace

TrainingOutcome run_training(const Runtime& runtime, const TrainConfig& flags) {
  std::string run_dir = runtime.is_root() ? choose_run_dir(flags) : "";
  runtime.broadcast(run_dir, 0);
  ResumeSource source;
  runtime.all_or_none([&] {
    if (runtime.is_root()) source = choose_resume_source(flags, run_dir);
  });
  runtime.broadcast(source.checkpoint, 0);
  runtime.broadcast(source.stored_config, 0);
  const std::string& checkpoint = source.checkpoint;

  TrainConfig config = flags;
  CheckpointState resumed;
  if (!checkpoint.empty()) runtime.all_or_none([&] {
      resumed = read_checkpoint_state(checkpoint);
      config = with_stored_settings(flags, resumed.config_json);
    });
  if (!source.stored_config.empty()) runtime.all_or_none([&] { config = with_stored_settings(flags, source.stored_config); });
  config.global_batch_size = global_batch_of(config, runtime.world_size());  // from here on fixed: stored, and kept on resume
  if (!checkpoint.empty())
    runtime.all_or_none([&] { check_global_batch(checkpoint, resumed, config.global_batch_size, flags.new_global_batch); });
  TrainingData data = load_training_data(runtime, config);
  runtime.all_or_none([&] {  // every check passes before the run folder is touched
    if (!checkpoint.empty())
      check_resumable(checkpoint, resumed, {config.model, {data.info.channels, data.info.height, data.info.width}, config.latent_dim}, data);
    if (!runtime.is_root()) return;
    if (!checkpoint.empty()) set_aside_later_checkpoints(run_dir, checkpoint, flags);
    claim_run_dir(run_dir, !flags.resume.empty(), flags.force);
    write_run_config(run_dir, config_json(config, data.info, runtime.world_size()));
  });
  return Trainer(runtime, config, run_dir, std::move(data), checkpoint).run();
}

}  // namespace vae
