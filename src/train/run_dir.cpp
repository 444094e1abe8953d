#include "vae/run_dir.hpp"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "vae/checkpoint.hpp"
#include "vae/error.hpp"
#include "vae/atomic_file.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

// The files a run writes into its folder; --force removes exactly these.
const char* const kRunArtifacts[] = {"checkpoints", "samples", "reconstructions", "metrics.jsonl", "config.json",
                                     "generated_images.gif", "loss.png", "latent_manifold.png", "latent_scatter.png", "sample_record"};

std::string config_path(const std::string& dir) { return (fs::path(dir) / "config.json").string(); }

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%d-%H%M%S", &local);
  return text;
}

std::string newest_run() {
  std::string newest;
  if (!fs::is_directory(kRunsRoot)) return newest;
  for (const auto& entry : fs::directory_iterator(kRunsRoot))
    if (entry.is_directory() && entry.path().string() > newest) newest = entry.path().string();
  return newest;
}

}  // namespace

std::string choose_run_dir(const TrainConfig& config) {
  if (!config.out_dir.empty()) return config.out_dir;
  if (!config.resume.empty() && config.resume != "auto")  // runs/<name>/checkpoints/epoch_N.pt → runs/<name>
    return fs::path(config.resume).parent_path().parent_path().string();
  if (config.resume == "auto") {
    const std::string newest = newest_run();
    if (!newest.empty()) return newest;
  }
  std::string dir = (fs::path(kRunsRoot) / timestamp()).string();
  for (int suffix = 2; fs::exists(dir); ++suffix) dir = (fs::path(kRunsRoot) / (timestamp() + "-" + std::to_string(suffix))).string();
  return dir;
}

void claim_run_dir(const std::string& dir, bool resuming, bool force) {
  const fs::path root(dir);
  const bool holds_run = !list_checkpoints(dir).empty() || fs::exists(root / "metrics.jsonl") || fs::exists(config_path(dir));
  if (holds_run && !resuming) {
    require(force, dir + " already holds a run: continue it with --resume auto, start it over with --force, or pick another --out");
    for (const char* artifact : kRunArtifacts) {
      if (std::string(artifact) != "checkpoints") fs::remove_all(root / artifact);
    }
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(root / "checkpoints", error))  // damaged ones stay: they may be recoverable
      if (entry.path().extension() != kDamagedSuffix) fs::remove_all(entry.path());
  }
  std::error_code error;
  for (const char* sub : {"checkpoints", "samples", "reconstructions"}) fs::create_directories(root / sub, error);
  require(!error, dir + ": cannot create the run folder (" + error.message() + ")");
  uintmax_t stale_bytes = 0;
  for (const fs::path& folder : {root, root / "checkpoints", root / "samples", root / "reconstructions"})
    stale_bytes += remove_stale_temporaries(folder.string());
  if (stale_bytes > 0) std::printf("vae_dist: removed %.1f MB of temporary files a killed run left in %s\n", static_cast<double>(stale_bytes) / 1e6, dir.c_str());
}

std::string epoch_file_name(int epoch, const char* extension) {
  char name[32];
  std::snprintf(name, sizeof(name), "epoch_%04d.%s", epoch, extension);
  return name;
}

void write_run_config(const std::string& dir, const std::string& json) {
  write_file_atomically(config_path(dir), std::vector<uint8_t>(json.begin(), json.end()));
}

std::optional<std::string> read_run_config(const std::string& dir) {
  std::ifstream in(config_path(dir));
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace vae
