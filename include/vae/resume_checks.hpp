#pragma once
// Before a run starts: which checkpoint `--resume` means, whether it fits this run, and what
// becomes of checkpoints newer than it. Rank 0 calls the first and last, every rank the middle
// one, all inside Runtime::all_or_none, so a refusal stops every rank with one message.
#include <string>

#include "vae/checkpoint.hpp"
#include "vae/config.hpp"
#include "vae/train_setup.hpp"
#include "vae/vae_model.hpp"

namespace vae {

// Where a run starts: the checkpoint it resumes from, or the beginning with the settings of the
// run folder's config.json, or the beginning with the flags alone.
struct ResumeSource {
  std::string checkpoint;     // "" for the beginning
  std::string stored_config;  // with no checkpoint: the folder's config.json, whose settings the run keeps
};

// The path given; or for `--resume auto` (README: what --resume auto does with a run folder):
// - the newest checkpoint in the run folder that verifies (each damaged one it skips is reported);
// - none verifies but some are damaged: refused, the damaged ones renamed *.damaged and kept;
// - no checkpoint, but the folder's config.json: the beginning, with that file's settings;
// - no checkpoint and no config.json, but a metrics.jsonl: refused (a run whose settings are lost);
// - an empty or new folder: the beginning.
// Rank 0 only. Throws UserError naming the folder and what would proceed.
ResumeSource choose_resume_source(const TrainConfig& config, const std::string& run_dir);

// Throws UserError unless `state` (read from `path`) has this run's model shape and data.
void check_resumable(const std::string& path, const CheckpointState& state, const ModelSpec& spec, const TrainingData& data);

// Throws UserError when this run's `global_batch` differs from the one `state` was trained with,
// unless `allow_new` (--new-global-batch) and `state` ends an epoch: a mid-epoch position means
// nothing under another batch's sample order.
void check_global_batch(const std::string& path, const CheckpointState& state, int64_t global_batch, bool allow_new);

// Checkpoints newer than the one resumed from: after `--resume auto` they can only be damaged
// ones (renamed *.damaged, kept for a look); after an explicit older checkpoint they would later
// be taken for this run's, so they are refused unless --force, which deletes them.
void set_aside_later_checkpoints(const std::string& run_dir, const std::string& resumed, const TrainConfig& flags);

}  // namespace vae
