#include "vae/resume_checks.hpp"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "vae/error.hpp"
#include "vae/run_dir.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

std::string describe(const ModelSpec& s) {
  return std::string(to_string(s.kind)) + " model, latent " + std::to_string(s.latent_dim) + ", images " + std::to_string(s.image.channels) +
         "×" + std::to_string(s.image.height) + "×" + std::to_string(s.image.width);
}

// The global batch stored in a run's config.json (older runs stored only the per-rank one).
int64_t stored_global_batch(const std::string& config_json) {
  const auto config = nlohmann::json::parse(config_json);
  const int64_t global = config.value("global_batch_size", int64_t{0});
  return global > 0 ? global : config.at("batch_size").get<int64_t>() * config.at("world_size").get<int64_t>();
}

}  // namespace

ResumeSource choose_resume_source(const TrainConfig& config, const std::string& run_dir) {
  if (config.resume.empty()) return {};
  if (config.resume != "auto") return {config.resume, ""};
  std::vector<std::string> damaged;
  for (const std::string& path : list_checkpoints(run_dir)) {
    try {
      read_checkpoint_state(path);
      return {path, ""};
    } catch (const CorruptCheckpoint& error) {
      std::fprintf(stderr, "vae_dist: warning: %s (set aside as *.damaged); looking for an older one\n", error.what());
      damaged.push_back(path);
    }
  }
  for (const std::string& path : damaged) fs::rename(path, path + kDamagedSuffix);
  const size_t set_aside = damaged_checkpoints(run_dir);
  require(set_aside == 0, run_dir + " holds no checkpoint that verifies (" + std::to_string(set_aside) + " damaged, kept as *" + kDamagedSuffix +
                              " in " + (fs::path(run_dir) / "checkpoints").string() +
                              "): to start this run over, pass --force instead of --resume auto (the damaged files stay); or pick another --out");
  if (const std::optional<std::string> text = read_run_config(run_dir)) {
    require(nlohmann::json::accept(*text), run_dir + "/config.json is damaged (not JSON), and the run has no checkpoint: fix the file, or start over with --force instead of --resume auto");
    std::printf("vae_dist: %s has no checkpoint yet: starting it from the beginning with the settings of its config.json\n", run_dir.c_str());
    return {"", *text};
  }
  require(!fs::exists(fs::path(run_dir) / "metrics.jsonl"),
          run_dir + " holds a metrics.jsonl but neither a checkpoint nor the config.json that says how it was run: start it over with --force instead of --resume auto, or pick another --out");
  std::printf("vae_dist: no run in %s yet: starting fresh\n", run_dir.c_str());
  return {};
}

void check_resumable(const std::string& path, const CheckpointState& state, const ModelSpec& spec, const TrainingData& data) {
  const ModelSpec saved = model_spec_of(state);
  require(saved.kind == spec.kind && saved.latent_dim == spec.latent_dim && saved.image.channels == spec.image.channels &&
              saved.image.height == spec.image.height && saved.image.width == spec.image.width,
          path + " holds a " + describe(saved) + " but this run asks for a " + describe(spec) +
              ": pass the flags it was trained with, or another --out");
  require(state.dataset_fingerprint == data.fingerprint,
          path + " was trained on " + state.dataset_path + ", whose content differs from " + data.info.path +
              ": resume with --data " + state.dataset_path);
}

void check_global_batch(const std::string& path, const CheckpointState& state, int64_t global_batch, bool allow_new) {
  const int64_t stored = stored_global_batch(state.config_json);
  if (global_batch == stored) return;
  const std::string change = "a global batch of " + std::to_string(stored) + " to " + std::to_string(global_batch);
  require(allow_new, path + " was trained with a global batch of " + std::to_string(stored) + ", and this run would use " +
                         std::to_string(global_batch) + ": leave out --batch-size and --global-batch-size to keep " + std::to_string(stored) +
                         " on any rank count, or pass --new-global-batch to change it");
  require(state.partial.steps == 0, path + " stopped inside epoch " + std::to_string(state.epoch + 1) + ", and changing " + change +
                                        " is only possible at an epoch boundary: resume from an epoch_NNNN.pt checkpoint, or keep " +
                                        std::to_string(stored));
}

void set_aside_later_checkpoints(const std::string& run_dir, const std::string& resumed, const TrainConfig& flags) {
  const CheckpointPosition resumed_at = checkpoint_position(resumed);
  for (const std::string& later : list_checkpoints(run_dir)) {
    if (resumed_at.epoch < 0 || !(resumed_at < checkpoint_position(later))) continue;
    if (flags.resume == "auto") {
      fs::rename(later, later + kDamagedSuffix);
      continue;
    }
    require(flags.force, later + " is newer than " + resumed +
                             ": resuming from the older one would abandon it; resume from the newest, or pass --force to delete the newer ones");
    fs::remove(later);
  }
}

}  // namespace vae
