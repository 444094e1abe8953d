#pragma once
// Rank 0's pictures of a run, refreshed at the end of every epoch (docs/design.md, src/report/):
//   samples/epoch_NNNN.png        decoded from one fixed batch of latents, so frames compare
//   reconstructions/epoch_NNNN.png  test images above their reconstructions
//   generated_images.gif          one frame per epoch of the samples grid, rewritten atomically
//   loss.png                      train and test −ELBO against epochs
//   latent_manifold.png, latent_scatter.png   for a 2-D latent
// Only rank 0 constructs one; it never touches MPI.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "vae/epoch_metrics.hpp"
#include "vae/image_grid.hpp"
#include "vae/vae_model.hpp"

namespace vae {

class RunReporter {
 public:
  struct Options {
    std::string run_dir;
    uint64_t seed = 1;
    int gif_delay_cs = 50;
    int64_t samples = 64;       // images in the samples grid
    int64_t nrow = 8;
    int64_t manifold_side = 20;
  };

  // `reconstruct`: test images [N, C, H, W] uint8 for the reconstruction grid. `scatter` and
  // `labels`: test images and their labels for the latent scatter (2-D latents only). Frames of
  // an existing GIF up to `completed_epochs` are kept, so a resumed run continues its animation.
  RunReporter(Options options, const VaeModel& model, torch::Tensor reconstruct, torch::Tensor scatter, std::vector<int64_t> labels,
              int completed_epochs);

  void epoch_end(VaeModel& model, int epoch, const std::vector<EpochMetrics>& history);

 private:
  std::string path(const std::string& name) const;

  Options options_;
  torch::Tensor latents_;  // the fixed batch behind every samples grid and GIF frame
  torch::Tensor reconstruct_, scatter_;
  std::vector<int64_t> labels_;
  std::vector<Image> frames_;
};

}  // namespace vae
