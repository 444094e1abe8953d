#pragma once
// The run's configuration: every flag of `vae_dist train`, in one plain struct.
#include <cstdint>
#include <set>
#include <string>

#include "vae/h5_dataset.hpp"

namespace vae {

enum class ModelKind { kConv, kMlp };
// What an epoch does with the N mod B rows that do not fill a whole global batch (see sample_order.hpp).
enum class Remainder {
  kPartial,  // the epoch's last step is smaller: every row is seen exactly once per epoch
  kDrop,     // the last partial step is left out: those rows wait for a later epoch's shuffle
};
enum class Overlap { kOff, kOn };
// Whose kernels run the ConvVAE on the CPU: the fast path's (oneDNN, fast_conv_vae.hpp) or LibTorch's.
enum class Kernels { kFast, kTorch };
enum class Shuffle { kOff, kOn };

struct TrainConfig {
  std::string data_path;  // empty: the default dataset (see default_dataset.hpp)
  DatasetKeys data_keys;  // where the file keeps its images, and their layout
  std::string out_dir;    // empty: runs/<date>-<time> (or, with --resume auto, the newest run in runs/)
  ModelKind model = ModelKind::kConv;
  int64_t latent_dim = 16;
  int epochs = 10;
  int64_t batch_size = 64;         // per rank, when global_batch_size is 0
  int64_t global_batch_size = 0;   // 0: batch_size * world size; fixed for the run once it starts
  bool new_global_batch = false;   // on resume: accept a global batch other than the checkpoint's
  double lr = 1e-3;
  double beta = 1.0;               // weight of the KL term
  uint64_t seed = 1;
  int threads = 0;                 // intra-op threads per rank; 0: cores of the node / ranks on it
  Kernels kernels = Kernels::kFast;  // a speed setting, not stored: a resume may change it
  Remainder remainder = Remainder::kPartial;
  Shuffle shuffle = Shuffle::kOn;
  double bucket_mb = 0.5;          // gradient bucket size (the first bucket is smaller, see grad_sync.hpp)
  Overlap overlap = Overlap::kOn;
  int64_t max_steps = 0;           // stop each epoch after this many steps (0: the whole epoch); for tests and benchmarks
  double collective_timeout_s = 300;  // a collective waiting longer than this aborts the job
  bool force = false;              // start over in an output folder that holds another run
  std::string resume;              // a checkpoint path, "auto" (newest valid one in out_dir), or empty
  int checkpoint_every = 1;        // epochs between checkpoints (and one at the end)
  double checkpoint_every_minutes = 0;  // also a checkpoint mid-epoch once this much time passed since the last (0: never)
  bool failure_checkpoint = true;  // survivors of a lost peer save the last step (Note [Just-in-time checkpoint] in runtime.hpp)
  int keep = 3;                    // checkpoints kept
  int iw_every = 5;                // epochs between importance-weighted NLL estimates (and one at the end)
  int64_t iw_samples = 100;        // K of the IW estimate
  int64_t iw_subset = 1000;        // test rows it is measured on, spread evenly over the split
  int gif_delay_cs = 50;           // GIF frame delay, 1/100 s
  bool record_samples = false;     // each rank writes the rows of every step to <out>/sample_record/
  std::string results_path;        // append a RunSummary line here at the end (scaling studies); empty: none
  std::set<std::string> given;     // long names of the flags on the command line: on resume, the
                                   // checkpoint's configuration fills in every other setting
};

// `vae_dist evaluate`: numbers and pictures from a checkpoint.
struct EvaluateConfig {
  std::string checkpoint;
  std::string data_path;      // empty: the dataset the checkpoint was trained on
  std::string train_key, test_key, layout;  // empty: as the checkpoint's run read its dataset
  std::string out_dir;        // empty: <run>/evaluation next to the checkpoint's folder
  int64_t num_samples = 10;   // images in the samples and reconstruction grids
  int64_t iw_samples = 100;
  int64_t iw_subset = 1000;
  int threads = 0;
  Kernels kernels = Kernels::kFast;
  uint64_t seed = 1;
};

// `vae_dist sample`: images from a checkpoint, no dataset needed.
struct SampleConfig {
  std::string checkpoint;
  std::string out_dir;        // empty: <run>/samples_from_<checkpoint name>
  int64_t num_samples = 64;
  uint64_t seed = 1;
};

const char* to_string(ModelKind kind);
const char* to_string(Remainder remainder);
const char* to_string(Kernels kernels);

}  // namespace vae
