#pragma once
// Everything the training loop needs, built from the configuration before it starts. Every
// function here is collective where it says so: all ranks call it, and a failure on any rank
// becomes the same CollectiveError on all of them.
#include <torch/torch.h>

#include <string>

#include "vae/config.hpp"
#include "vae/h5_dataset.hpp"
#include "vae/image_set.hpp"
#include "vae/runtime.hpp"
#include "vae/sample_order.hpp"

namespace vae {

struct TrainingData {
  DatasetInfo info;
  uint64_t fingerprint = 0;  // content hash of both splits, the same for any rank count
  SampleOrder order;      // the training rows of every global step (the same on every rank)
  LaneRange lanes;        // this rank's lanes of it
  ImageSet train_shard;   // the rows of those lanes
  ImageSet test_shard;   // this rank's test rows
  RowRange test_rows;
};

// Collective. Resolves the dataset (the default one is converted by rank 0 on first use),
// validates it, plans the sample order for config.global_batch_size and reads this rank's rows.
TrainingData load_training_data(const Runtime& runtime, const TrainConfig& config);

// The run's configuration as written to config.json and stored in every checkpoint.
std::string config_json(const TrainConfig& config, const DatasetInfo& dataset, int world_size);

// For a resume: `config` with every setting whose flag was not given (config.given) taken from
// the checkpoint's stored configuration, so `--resume auto` alone continues the same run. The
// global batch is the checkpoint's unless --global-batch-size, or a --batch-size other than the
// checkpoint's, is given.
TrainConfig with_stored_settings(const TrainConfig& config, const std::string& stored_json);

// How a run read its dataset, from its stored configuration (the schema's defaults for a run
// from before the keys were stored).
DatasetKeys stored_dataset_keys(const std::string& stored_json);

// Sets LibTorch's intra-op threads (the flag, or the node's cores shared among its ranks).
int configure_threads(const Runtime& runtime, const TrainConfig& config);

// The GPU of this rank when LibTorch has CUDA (local rank picks it), the CPU otherwise.
torch::Device pick_device(const Runtime& runtime);

// Where and how a rank computes.
struct Execution {
  int threads = 1;
  torch::Device device = torch::kCPU;
  bool fast_kernels = false;  // the fast path runs the model (fast_conv_vae.hpp)
};

// The configuration as an aligned two-column table, printed by rank 0 at start.
std::string configuration_table(const Runtime& runtime, const TrainConfig& config, const std::string& run_dir, const TrainingData& data,
                                const Execution& execution, const std::string& comm_name, size_t buckets);

}  // namespace vae
