#pragma once
// What the model draws, as grids ready for write_png / write_gif. The model runs in eval mode
// without gradients; images are cropped to the dataset's real pixels.
#include <torch/torch.h>

#include "vae/image_grid.hpp"
#include "vae/vae_model.hpp"

namespace vae {

// Probabilities [B, C, H, W] in [0, 1] → uint8 grid, `nrow` images per row, 2-pixel padding.
Image grid_of(const torch::Tensor& probabilities, int64_t nrow, int64_t padding = 2);

// The decoder's mean image for each latent vector of `z` [B, latent].
torch::Tensor decode_images(VaeModel& model, const torch::Tensor& z);

// `count` latent vectors drawn from N(0, I) with a seed, the same every time (for GIF frames).
torch::Tensor fixed_latents(int64_t count, int64_t latent_dim, uint64_t seed);

// Originals and reconstructions (from the posterior mean) in alternating rows of `nrow`.
Image reconstruction_grid(VaeModel& model, const torch::Tensor& images_u8, int64_t nrow);

// For a 2-D latent: decodes a side×side lattice placed through the inverse normal CDF, as in
// Figure 4 of Kingma & Welling (2013); no padding between tiles.
Image latent_manifold(VaeModel& model, int64_t side);

// Posterior means of `images_u8` ([N, C, H, W] uint8), [N, latent] on the CPU.
torch::Tensor posterior_means(VaeModel& model, const torch::Tensor& images_u8, int64_t batch = 256);

}  // namespace vae
