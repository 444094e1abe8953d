#include "vae/resume_checks.hpp"

#include <cstdio>
#include <filesystem>

#include "vae/error.hpp"

namespace vae {
namespace {

std::string describe(const ModelSpec& s) {
  return std::string(to_string(s.kind)) + " model, latent " + std::to_string(s.latent_dim) + ", images " + std::to_string(s.image.channels) +
         "×" + std::to_string(s.image.height) + "×" + std::to_string(s.image.width);
}

}  // namespace

std::string choose_checkpoint(const TrainConfig& config, const std::string& run_dir) {
  if (config.resume.empty()) return "";
  if (config.resume != "auto") return config.resume;
  for (const std::string& path : list_checkpoints(run_dir)) {
    try {
      read_checkpoint_state(path);
      return path;
    } catch (const CorruptCheckpoint& error) {
      std::fprintf(stderr, "vae_dist: warning: %s; falling back to the checkpoint before it\n", error.what());
    }
  }
  std::printf("vae_dist: no checkpoint in %s yet: starting fresh\n", run_dir.c_str());
  return "";
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

void set_aside_later_checkpoints(const std::string& run_dir, const std::string& resumed, const TrainConfig& flags) {
  const CheckpointPosition resumed_at = checkpoint_position(resumed);
  for (const std::string& later : list_checkpoints(run_dir)) {
    if (resumed_at.epoch < 0 || !(resumed_at < checkpoint_position(later))) continue;
    if (flags.resume == "auto") {
      std::filesystem::rename(later, later + ".damaged");
      continue;
    }
    require(flags.force, later + " is newer than " + resumed +
                             ": resuming from the older one would abandon it; resume from the newest, or pass --force to delete the newer ones");
    std::filesystem::remove(later);
  }
}

}  // namespace vae
