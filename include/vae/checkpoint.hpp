#pragma once
// Checkpoints: model, Adam state, progress, configuration, dataset identity and metrics history
// in one file, runs/<name>/checkpoints/epoch_NNNN.pt.
//
// The file is a TorchScript archive: the model's parameters sit at the top level exactly as
// torch::save(model) writes them, so `torch.jit.load(path).named_parameters()` in Python maps
// onto the seed's state_dict. Everything else lives as buffers of a `_vae_state` submodule, so it
// never shows up among the parameters. A checksum over every tensor and the metadata is verified
// on load. Written to a temporary name, fsync'd, then renamed: a crash or full disk never leaves
// a half-written checkpoint under a real name, and older ones are untouched.
//
// Random state: shuffles and noise are drawn from streams derived from the seed and where they are
// used — (epoch, lane), (epoch, step), the test row — never from the rank
// (see loader.hpp and trainer.cpp), so the seed in the configuration is all a resume needs.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "vae/epoch_metrics.hpp"
#include "vae/error.hpp"
#include "vae/vae_model.hpp"

namespace vae {

// The training sums of the steps already taken in an epoch that a stop interrupted, over all
// ranks, so that the epoch's metrics line still covers the whole epoch after a resume.
struct PartialEpoch {
  int64_t steps = 0;             // steps of epoch+1 taken; 0 when the checkpoint ends an epoch
  double loss = 0, kl = 0, images = 0, seconds = 0;
};

struct CheckpointState {
  int epoch = 0;                 // epochs completed
  int64_t step = 0;              // optimizer steps completed, the partial epoch's included
  PartialEpoch partial;          // a stop mid-epoch: where in epoch+1 it stopped
  std::string config_json;       // the run's config.json
  std::string dataset_path;
  uint64_t dataset_fingerprint = 0;
  std::vector<EpochMetrics> history;
};

// A checkpoint that cannot be read or fails its checksum.
class CorruptCheckpoint : public UserError {
 public:
  using UserError::UserError;
};

// What a checkpoint holds, copied onto the CPU at one moment of training, so that it can be
// written by another thread while training goes on (see background_writer.hpp).
struct CheckpointSnapshot {
  std::shared_ptr<VaeModel> model;  // a CPU copy of the weights
  std::vector<torch::Tensor> adam;  // exp_avg, exp_avg_sq, step per parameter, in parameter order
  CheckpointState state;
};

// Copies the weights and Adam state (after at least one optimizer step). Training thread.
CheckpointSnapshot snapshot_checkpoint(VaeModel& model, torch::optim::Adam& optimizer, CheckpointState state);
// Serialises a snapshot and writes it atomically to `path`. Any thread.
void write_checkpoint(const std::string& path, const CheckpointSnapshot& snapshot);
// Both at once.
void save_checkpoint(const std::string& path, VaeModel& model, torch::optim::Adam& optimizer, const CheckpointState& state);

// Verifies the checksum, then loads the weights into `model` and, when given, the Adam state into
// `optimizer` (its parameters must be the model's). Throws CorruptCheckpoint.
CheckpointState load_checkpoint(const std::string& path, VaeModel& model, torch::optim::Adam* optimizer);

// A checkpoint's metadata and a model built from its configuration with its weights, on the CPU,
// checksum verified, running on `kernels`. Throws CorruptCheckpoint.
struct LoadedModel {
  CheckpointState state;
  std::shared_ptr<VaeModel> model;
};
LoadedModel load_model_from_checkpoint(const std::string& path, Kernels kernels = Kernels::kFast);

// Only the metadata, checksum verified (against a model built from the stored configuration).
CheckpointState read_checkpoint_state(const std::string& path);

// The model a checkpoint's configuration describes.
ModelSpec model_spec_of(const CheckpointState& state);

// Where in training a checkpoint was taken: `epoch` epochs completed, then `step` steps of the next.
struct CheckpointPosition {
  int epoch = 0;
  int64_t step = 0;
  bool operator<(const CheckpointPosition& other) const { return epoch != other.epoch ? epoch < other.epoch : step < other.step; }
};

// runs/<name>/checkpoints/epoch_NNNN.pt at the end of epoch NNNN, or epoch_NNNN_step_SSSSSS.pt
// for a stop after step SSSSSS of epoch NNNN (position {NNNN − 1, SSSSSS}).
std::string checkpoint_path(const std::string& run_dir, CheckpointPosition position);
std::string checkpoint_path(const std::string& run_dir, int epoch);
// The position a checkpoint's file name stands for; epoch −1 for another name.
CheckpointPosition checkpoint_position(const std::string& path);
// The run's checkpoints, newest first.
std::vector<std::string> list_checkpoints(const std::string& run_dir);
// A damaged checkpoint found by `--resume auto` is renamed with this suffix: kept for a look (it
// may be recoverable), never read again, never deleted by vae_dist.
inline constexpr const char* kDamagedSuffix = ".damaged";
// How many of the run's checkpoints have been set aside as damaged.
size_t damaged_checkpoints(const std::string& run_dir);
// Deletes all but the newest `keep` checkpoints.
void prune_checkpoints(const std::string& run_dir, int keep);

}  // namespace vae
