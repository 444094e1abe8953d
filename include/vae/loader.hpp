#pragma once
// Loader: one rank's training batches. Holds the rows of the rank's lanes in memory (uint8; see
// Note [Lanes] in sample_order.hpp), draws every lane's permutation of its rows each epoch from
// (seed, epoch, lane), and turns the rows of a step into float batches in [0, 1] zero-padded to
// the model's canvas, on the training device.
#include <torch/torch.h>

#include <vector>

#include "vae/canvas.hpp"
#include "vae/config.hpp"
#include "vae/image_set.hpp"
#include "vae/sample_order.hpp"

namespace vae {

// uint8 images [B, C, h, w] → float [B, C, canvas…] in [0, 1] on `device`.
torch::Tensor to_model_input(const torch::Tensor& images_u8, const ImageShape& canvas, const torch::Device& device);

// An ImageSet's pixels as a uint8 tensor [N, C, H, W] that shares its memory (keep the set alive).
torch::Tensor pixels_as_tensor(ImageSet& set);

// This rank's part of one global step.
struct StepBatch {
  torch::Tensor images;       // [rows.size(), C, canvas…]; no rows at all at a partial last step is possible
  std::vector<int64_t> rows;  // the training rows (global indices in the split), one per lane taking part
  std::vector<int64_t> lanes; // the lanes they come from, ascending
};

class Loader {
 public:
  struct Options {
    SampleOrder order;
    LaneRange lanes;  // this rank's
    ImageShape canvas;
    Shuffle shuffle = Shuffle::kOn;
    uint64_t seed = 0;
    torch::Device device = torch::kCPU;
  };

  // `shard` holds the rows options.order.rows_of(options.lanes), in file order.
  Loader(ImageSet shard, Options options);
  Loader(Loader&&) = default;  // the shard's buffer moves with it, so pixels_ stays valid
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Draws the lanes' permutations of `epoch`; call before the epoch's first step.
  void start_epoch(int64_t epoch);
  // This rank's samples of global step `step` of the current epoch.
  StepBatch step(int64_t step) const;

  int64_t steps_per_epoch() const { return options_.order.steps_per_epoch(); }

 private:
  ImageSet shard_;
  torch::Tensor pixels_;        // [N, C, H, W] uint8, a view of shard_.pixels
  Options options_;
  int64_t first_row_;           // global index of the shard's first row
  std::vector<int64_t> order_;  // per lane, this epoch's permutation of its rows (shard-local indices)
};

// The permutation of 0..n-1 that (seed, epoch, lane) draws; the same on every machine.
std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch, int64_t lane);

}  // namespace vae
