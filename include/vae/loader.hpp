#pragma once
// Loader: one rank's training batches. Holds the rank's shard in memory (uint8), draws a fresh
// permutation of it every epoch seeded by (seed, epoch, rank), and turns rows into float batches
// in [0, 1] zero-padded to the model's canvas, on the training device.
//
// Every rank runs plan.steps_per_epoch steps; when the shard does not fill them (Remainder::kWrap)
// the permutation repeats from its start, so short shards reuse a few of their own rows.
#include <torch/torch.h>

#include <vector>

#include "vae/canvas.hpp"
#include "vae/config.hpp"
#include "vae/image_set.hpp"
#include "vae/shard_plan.hpp"

namespace vae {

// uint8 images [B, C, h, w] → float [B, C, canvas…] in [0, 1] on `device`.
torch::Tensor to_model_input(const torch::Tensor& images_u8, const ImageShape& canvas, const torch::Device& device);

// An ImageSet's pixels as a uint8 tensor [N, C, H, W] that shares its memory (keep the set alive).
torch::Tensor pixels_as_tensor(ImageSet& set);

class Loader {
 public:
  struct Options {
    ShardPlan plan;
    ImageShape canvas;
    Shuffle shuffle = Shuffle::kOn;
    uint64_t seed = 0;
    int rank = 0;
    torch::Device device = torch::kCPU;
  };

  Loader(ImageSet shard, Options options);
  Loader(Loader&&) = default;  // the shard's buffer moves with it, so pixels_ stays valid
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Draws the permutation of `epoch`; call before the epoch's first batch.
  void start_epoch(int64_t epoch);
  // Rows of the shard (0-based within the shard) that make step `step` of the current epoch.
  std::vector<int64_t> rows_of_step(int64_t step) const;
  // The batch of step `step` of the current epoch: [plan.batch, C, canvas…].
  torch::Tensor batch(int64_t step) const;

  int64_t steps_per_epoch() const { return options_.plan.steps_per_epoch; }
  int64_t batch_size() const { return options_.plan.batch; }

 private:
  ImageSet shard_;
  torch::Tensor pixels_;        // [N, C, H, W] uint8, a view of shard_.pixels
  Options options_;
  std::vector<int64_t> order_;  // this epoch's permutation of 0..N-1
};

// The permutation of 0..n-1 that (seed, epoch, rank) draws; the same on every machine.
std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch, int rank);

}  // namespace vae
