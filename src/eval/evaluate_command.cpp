#include "vae/evaluate_command.hpp"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "vae/checkpoint.hpp"
#include "vae/error.hpp"
#include "vae/evaluator.hpp"
#include "vae/h5_shard.hpp"
#include "vae/loader.hpp"
#include "vae/pictures.hpp"
#include "vae/atomic_file.hpp"
#include "vae/png_io.hpp"
#include "vae/seeds.hpp"
#include "vae/train_setup.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kBatch = 256;
constexpr int64_t kManifoldSide = 20;

// The training run's setting `key` (its --seed, --beta), from the checkpoint's configuration.
template <typename T>
T trained_with(const LoadedModel& loaded, const char* key, T fallback) {
  return nlohmann::json::parse(loaded.state.config_json).value(key, fallback);
}

// Where the dataset keeps its images: the flags given, else as the training run read it.
DatasetKeys dataset_keys(const LoadedModel& loaded, const EvaluateConfig& config) {
  DatasetKeys keys = stored_dataset_keys(loaded.state.config_json);  // a test fraction included: the run's own test rows
  if (!config.train_key.empty()) keys.train = config.train_key;
  if (!config.test_key.empty()) keys.test = config.test_key;
  if (!config.layout.empty()) keys.layout = layout_from_flag(config.layout);
  return keys;
}

// <run>/<leaf> for a checkpoint at <run>/checkpoints/epoch_N.pt.
std::string beside_run(const std::string& checkpoint, const std::string& leaf) {
  return (fs::path(checkpoint).parent_path().parent_path() / leaf).string();
}

int64_t grid_columns(int64_t count) { return std::min<int64_t>(count, 8); }

}  // namespace

void run_evaluate(const Runtime& runtime, const EvaluateConfig& config) {
  LoadedModel loaded;
  DatasetInfo info;
  RowRange rows;
  ImageSet shard;
  runtime.all_or_none([&] {
    loaded = load_model_from_checkpoint(config.checkpoint, config.kernels);
    info = read_dataset_info(config.data_path.empty() ? loaded.state.dataset_path : config.data_path, dataset_keys(loaded, config));
    const ImageShape& image = loaded.model->spec().image;
    require(info.channels == image.channels && info.height == image.height && info.width == image.width,
            info.path + " holds " + std::to_string(info.height) + "×" + std::to_string(info.width) + " images but " + config.checkpoint +
                " was trained on " + std::to_string(image.height) + "×" + std::to_string(image.width));
    rows = shard_rows(info.test_rows, runtime.world_size(), runtime.rank());
    shard = read_shard(info, Split::kTest, rows);
  });
  if (config.threads > 0) torch::set_num_threads(config.threads);
  VaeModel& model = *loaded.model;
  const auto pixels = pixels_as_tensor(shard);
  const auto noise = test_noise_table(info.test_rows, model.spec().latent_dim,
                                      derive_seed({static_cast<uint64_t>(Stream::kTestNoise), trained_with<uint64_t>(loaded, "seed", 1)}));
  const ElboSums elbo = evaluate_elbo(model, pixels, rows.begin, noise, trained_with(loaded, "beta", 1.0), kBatch, torch::kCPU);
  // The training run's importance samples, so that the estimate matches the one training printed.
  const ElboSums iw = importance_weighted_on_shard(
      model, pixels, rows, info.test_rows, config.iw_subset, config.iw_samples,
      derive_seed({static_cast<uint64_t>(Stream::kImportanceSamples), trained_with<uint64_t>(loaded, "seed", 1)}), kImportanceBatch, torch::kCPU);
  std::vector<double> sums{elbo.loss, elbo.kl, elbo.images, iw.loss, iw.images};
  runtime.allreduce_sum(sums);

  runtime.all_or_none([&] {
    if (!runtime.is_root()) return;
    const double nelbo = sums[0] / sums[2], kl = sums[1] / sums[2], nll = sums[3] / sums[4];
    std::printf("checkpoint   %s (epoch %d)\n", config.checkpoint.c_str(), loaded.state.epoch);
    std::printf("test ELBO    %.2f nats per image (−ELBO %.2f, KL %.2f) over %.0f test images\n", -nelbo, nelbo, kl, sums[2]);
    std::printf("test NLL     %.2f nats per image, importance-weighted, K = %lld, over %.0f test images spread over the split\n", nll,
                static_cast<long long>(config.iw_samples), sums[4]);
    const std::string out = config.out_dir.empty() ? beside_run(config.checkpoint, "evaluation") : config.out_dir;
    fs::create_directories(out);
    const int64_t n = std::min(config.num_samples, shard.count);
    write_png((fs::path(out) / "samples.png").string(),
              grid_of(decode_images(model, fixed_latents(config.num_samples, model.spec().latent_dim,
                                                         derive_seed({static_cast<uint64_t>(Stream::kSampleGrid), config.seed}))),
                      grid_columns(config.num_samples)));
    write_png((fs::path(out) / "reconstructions.png").string(), reconstruction_grid(model, pixels.narrow(0, 0, n), grid_columns(n)));
    const std::string json = nlohmann::json{{"checkpoint", config.checkpoint}, {"epoch", loaded.state.epoch}, {"data", info.path},
                                            {"test_elbo", -nelbo}, {"test_kl", kl}, {"test_images", sums[2]},
                                            {"test_iw_nll", nll}, {"iw_samples", config.iw_samples}, {"iw_images", sums[4]}}
                                 .dump(2);
    write_file_atomically((fs::path(out) / "evaluation.json").string(), std::vector<uint8_t>(json.begin(), json.end()));
    std::printf("wrote        %s/{samples,reconstructions}.png, evaluation.json\n", out.c_str());
  });
}

void run_sample(const Runtime& runtime, const SampleConfig& config) {
  runtime.all_or_none([&] {
    if (!runtime.is_root()) return;
    LoadedModel loaded = load_model_from_checkpoint(config.checkpoint);
    VaeModel& model = *loaded.model;
    const std::string out = config.out_dir.empty() ? beside_run(config.checkpoint, "samples_from_" + fs::path(config.checkpoint).stem().string())
                                                   : config.out_dir;
    fs::create_directories(out);
    const auto z = fixed_latents(config.num_samples, model.spec().latent_dim, derive_seed({static_cast<uint64_t>(Stream::kSampleGrid), config.seed}));
    write_png((fs::path(out) / "samples.png").string(), grid_of(decode_images(model, z), grid_columns(config.num_samples)));
    std::printf("wrote %s/samples.png (%lld images)\n", out.c_str(), static_cast<long long>(config.num_samples));
    if (model.spec().latent_dim == 2) {
      write_png((fs::path(out) / "latent_manifold.png").string(), latent_manifold(model, kManifoldSide));
      std::printf("wrote %s/latent_manifold.png\n", out.c_str());
    }
  });
}

}  // namespace vae
