#include "vae/train_setup.hpp"

#include <xxhash.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <tuple>
#include <nlohmann/json.hpp>
#include <sstream>

#include "vae/default_dataset.hpp"
#include "vae/error.hpp"
#include "vae/h5_shard.hpp"
#include "vae/openmp_wait.hpp"
#include "vae/vae_model.hpp"

namespace vae {
namespace {

std::string resolve_dataset(const Runtime& runtime, const TrainConfig& config) {
  if (!config.data_path.empty()) return config.data_path;
  const std::string path = default_dataset_path();
  runtime.all_or_none([&] {
    if (runtime.is_root() && !std::filesystem::exists(path)) {
      std::printf("preparing the default dataset (Fashion-MNIST) at %s\n", path.c_str());
      std::fflush(stdout);
      prepare_default_dataset(path);
    }
  });
  return path;
}

// XOR over rows of hash(split, global row, pixels): independent of how rows are sharded, so
// every rank count computes the same value from its own rows.
uint64_t shard_fingerprint(const ImageSet& shard, RowRange rows, Split split) {
  uint64_t combined = 0;
  const auto row_bytes = static_cast<size_t>(shard.image_size());
  for (int64_t i = 0; i < shard.count; ++i) {
    const uint64_t where[2] = {static_cast<uint64_t>(split), static_cast<uint64_t>(rows.begin + i)};
    XXH64_hash_t seed = XXH3_64bits(where, sizeof(where));
    combined ^= XXH3_64bits_withSeed(shard.pixels.data() + static_cast<size_t>(i) * row_bytes, row_bytes, seed);
  }
  return combined;
}

// Shortest faithful text of a number: 0.001, not 0.001000.
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

// "128 global, 64 per rank" or, when the ranks cannot share it evenly, "128 global, 42–43 per rank".
std::string batch_text(int64_t global_batch, int world_size) {
  const int64_t fewest = global_batch / world_size, most = (global_batch + world_size - 1) / world_size;
  return std::to_string(global_batch) + " global, " + std::to_string(fewest) + (most == fewest ? "" : "–" + std::to_string(most)) +
         " per rank";
}

// "1 of 2" when launch/vae_run.sh --max-restarts started the job again after a failure, "3 (Slurm
// requeue)" when Slurm did; "" for a first start.
std::string restart_text() {
  const char* launcher = std::getenv("VAE_RESTART");
  if (launcher != nullptr && *launcher != '\0') return launcher;
  const char* requeues = std::getenv("SLURM_RESTART_COUNT");
  if (requeues != nullptr && std::atoi(requeues) > 0) return std::string(requeues) + " (Slurm requeue)";
  return "";
}

}  // namespace

std::string config_json(const TrainConfig& c, const DatasetInfo& dataset, int world_size) {
  return nlohmann::json{{"data", dataset.path},
          {"data_keys",
           {{"train", c.data_keys.train}, {"test", c.data_keys.test}, {"layout", layout_flag(c.data_keys.layout)}, {"test_every", c.data_keys.test_every}}},
          {"world_size", world_size},
          {"dataset_name", dataset.name},
          {"model", to_string(c.model)},
          {"image", {{"channels", dataset.channels}, {"height", dataset.height}, {"width", dataset.width}}},
          {"latent_dim", c.latent_dim},
          {"epochs", c.epochs},
          {"batch_size", c.batch_size},
          {"global_batch_size", c.global_batch_size},
          {"lr", c.lr},
          {"beta", c.beta},
          {"seed", c.seed},
          {"remainder", to_string(c.remainder)},
          {"shuffle", c.shuffle == Shuffle::kOn},
          {"bucket_mb", c.bucket_mb},
          {"overlap", c.overlap == Overlap::kOn},
          {"max_steps", c.max_steps},
          {"checkpoint_every", c.checkpoint_every},
          {"checkpoint_every_minutes", c.checkpoint_every_minutes},
          {"keep", c.keep},
          {"iw_every", c.iw_every},
          {"iw_samples", c.iw_samples},
          {"iw_subset", c.iw_subset},
          {"record_samples", c.record_samples},
          {"gif_delay_cs", c.gif_delay_cs}}
      .dump(2);
}

DatasetKeys stored_dataset_keys(const std::string& stored_json) {
  DatasetKeys keys;
  const auto stored = nlohmann::json::parse(stored_json).value("data_keys", nlohmann::json::object());
  keys.train = stored.value("train", keys.train);
  keys.test = stored.value("test", keys.test);
  keys.layout = layout_from_flag(stored.value("layout", std::string(layout_flag(keys.layout))));
  keys.test_every = stored.value("test_every", keys.test_every);
  return keys;
}

TrainConfig with_stored_settings(const TrainConfig& config, const std::string& stored_json) {
  const auto stored = nlohmann::json::parse(stored_json);
  const DatasetKeys stored_keys = stored_dataset_keys(stored_json);
  TrainConfig merged = config;
  using Json = nlohmann::json;
  // Each setting: the flag that overrides it, its key in config.json, and how to take it.
  const std::tuple<const char*, const char*, std::function<void(const Json&)>> settings[] = {
      {"data", "data", [&](const Json& v) { merged.data_path = v; }},
      {"train-key", "data_keys", [&](const Json&) { merged.data_keys.train = stored_keys.train; }},
      {"test-key", "data_keys", [&](const Json&) { merged.data_keys.test = stored_keys.test; }},
      {"layout", "data_keys", [&](const Json&) { merged.data_keys.layout = stored_keys.layout; }},
      {"test-fraction", "data_keys", [&](const Json&) { merged.data_keys.test_every = stored_keys.test_every; }},
      {"model", "model", [&](const Json& v) { merged.model = v == "mlp" ? ModelKind::kMlp : ModelKind::kConv; }},
      {"latent-dim", "latent_dim", [&](const Json& v) { merged.latent_dim = v; }},
      {"epochs", "epochs", [&](const Json& v) { merged.epochs = v; }},
      {"batch-size", "batch_size", [&](const Json& v) { merged.batch_size = v; }},
      {"global-batch-size", "global_batch_size", [&](const Json& v) { merged.global_batch_size = v; }},
      {"lr", "lr", [&](const Json& v) { merged.lr = v; }},
      {"beta", "beta", [&](const Json& v) { merged.beta = v; }},
      {"seed", "seed", [&](const Json& v) { merged.seed = v; }},
      {"remainder", "remainder", [&](const Json& v) { merged.remainder = v == "drop" ? Remainder::kDrop : Remainder::kPartial; }},
      {"no-shuffle", "shuffle", [&](const Json& v) { merged.shuffle = v.get<bool>() ? Shuffle::kOn : Shuffle::kOff; }},
      {"bucket-mb", "bucket_mb", [&](const Json& v) { merged.bucket_mb = v; }},
      {"no-overlap", "overlap", [&](const Json& v) { merged.overlap = v.get<bool>() ? Overlap::kOn : Overlap::kOff; }},
      {"max-steps", "max_steps", [&](const Json& v) { merged.max_steps = v; }},
      {"checkpoint-every", "checkpoint_every", [&](const Json& v) { merged.checkpoint_every = v; }},
      {"checkpoint-every-minutes", "checkpoint_every_minutes", [&](const Json& v) { merged.checkpoint_every_minutes = v; }},
      {"keep", "keep", [&](const Json& v) { merged.keep = v; }},
      {"iw-every", "iw_every", [&](const Json& v) { merged.iw_every = v; }},
      {"iw-samples", "iw_samples", [&](const Json& v) { merged.iw_samples = v; }},
      {"iw-subset", "iw_subset", [&](const Json& v) { merged.iw_subset = v; }},
      {"record-samples", "record_samples", [&](const Json& v) { merged.record_samples = v; }},
      {"gif-delay", "gif_delay_cs", [&](const Json& v) { merged.gif_delay_cs = v; }},
  };
  for (const auto& [flag, key, take] : settings)
    if (config.given.count(flag) == 0 && stored.contains(key)) take(stored.at(key));
  // A new --batch-size alone asks for that many per rank, so the stored global batch must not
  // override it; the same one as stored is no request (a requeued job repeats its command line).
  if (config.given.count("batch-size") != 0 && config.given.count("global-batch-size") == 0 &&
      config.batch_size != stored.value("batch_size", config.batch_size))
    merged.global_batch_size = 0;
  return merged;
}

TrainingData load_training_data(const Runtime& runtime, const TrainConfig& config) {
  const std::string path = resolve_dataset(runtime, config);
  TrainingData data;
  runtime.all_or_none([&] {
    data.info = read_dataset_info(path, config.data_keys);
    canvas_for(config.model, {data.info.channels, data.info.height, data.info.width});  // the images fit the model
    data.order = SampleOrder(data.info.train_rows, config.global_batch_size, config.remainder);
    data.lanes = lanes_of_rank(data.order, runtime.world_size(), runtime.rank());
    data.test_rows = shard_rows(data.info.test_rows, runtime.world_size(), runtime.rank());
    require(data.test_rows.size() > 0, path + ": the test split has fewer rows than there are ranks");
    data.train_shard = read_shard(data.info, Split::kTrain, data.order.rows_of(data.lanes));
    data.test_shard = read_shard(data.info, Split::kTest, data.test_rows);
  });
  data.fingerprint = runtime.allreduce_xor(shard_fingerprint(data.train_shard, data.order.rows_of(data.lanes), Split::kTrain) ^
                                           shard_fingerprint(data.test_shard, data.test_rows, Split::kTest));
  return data;
}

int configure_threads(const Runtime& runtime, const TrainConfig& config) {
  const int threads = config.threads > 0 ? config.threads : runtime.default_threads();
  torch::set_num_threads(threads);
  return threads;
}

torch::Device pick_device(const Runtime& runtime) {
  if (!torch::cuda::is_available()) return torch::kCPU;
  const auto gpus = static_cast<int>(torch::cuda::device_count());
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(runtime.local_rank() % gpus)};
}

// Which kernels run the model, and why LibTorch's when the fast path was asked for.
std::string kernels_text(const TrainConfig& config, const Execution& execution) {
  if (execution.fast_kernels) return "fast kernels (oneDNN)";
  if (config.kernels == Kernels::kTorch) return "LibTorch kernels";
  if (!execution.device.is_cpu()) return "LibTorch kernels (the fast path is for CPUs)";
  return "LibTorch kernels (the fast path runs the conv model on the 32×32 canvas)";
}

std::string configuration_table(const Runtime& runtime, const TrainConfig& config, const std::string& run_dir, const TrainingData& data,
                                const Execution& execution, const std::string& comm_name, size_t buckets) {
  const auto& info = data.info;
  const ImageShape canvas = canvas_for(config.model, {info.channels, info.height, info.width});
  const std::pair<const char*, std::string> rows[] = {
      {"dataset", info.path + " (" + info.name + ")"},
      {"images", std::to_string(info.train_rows) + " train, " + std::to_string(info.test_rows) + " test, " +
                     std::to_string(info.channels) + "×" + std::to_string(info.height) + "×" + std::to_string(info.width) + ", " +
                     pixel_type_name(info.train.pixel_type) + " " + layout_name(info.train.layout)},
      {"model", std::string(to_string(config.model)) + " on a " + std::to_string(canvas.height) + "×" + std::to_string(canvas.width) +
                    " canvas, latent " + std::to_string(config.latent_dim) + ", β " + number(config.beta)},
      {"ranks", std::to_string(runtime.world_size()) + (runtime.hosts() > 1 ? " on " + std::to_string(runtime.hosts()) + " hosts" : "") + " (" +
                    std::to_string(runtime.local_size()) + " on " + runtime.host() + ")"},
      {"device", execution.device.str() + ", " + std::to_string(execution.threads) + " thread(s) per rank (OpenMP wait " + openmp_wait_policy_at_start() +
                     "), " + kernels_text(config, execution)},
      {"batch", batch_text(data.order.global_batch(), runtime.world_size())},
      {"steps/epoch", std::to_string(data.order.steps_per_epoch()) + " (remainder: " + to_string(config.remainder) + ")"},
      {"epochs", std::to_string(config.epochs) + ", Adam lr " + number(config.lr) + ", seed " + std::to_string(config.seed)},
      {"gradients", comm_name + ", " + std::to_string(buckets) + " bucket(s) of ~" + number(config.bucket_mb) + " MB, overlap " +
                        (config.overlap == Overlap::kOn ? "on" : "off")},
      {"output", run_dir},
  };
  std::ostringstream table;
  const auto print_row = [&](const std::string& key, const std::string& value) {
    table << "  " << key << std::string(13 - key.size(), ' ') << value << '\n';
  };
  for (const auto& [key, value] : rows) {
    print_row(key, value);
    if (std::string(key) == "ranks" && !restart_text().empty()) print_row("restart", restart_text() + " on " + std::to_string(runtime.hosts()) + " host(s)");
  }
  return table.str();
}

}  // namespace vae
