#pragma once
// Evaluation on one rank's rows of the test split; the caller sums the results across ranks.
#include <torch/torch.h>

#include <cstdint>

#include "vae/vae_model.hpp"

namespace vae {

struct ElboSums {
  double loss = 0;    // Σ −ELBO over the rows, nats
  double kl = 0;      // Σ KL over the rows, nats
  double images = 0;  // rows evaluated
};

// The noise for the whole test split, drawn once from `seed`: row i of the split always gets
// row i of this table, so the test loss summed over ranks does not depend on the rank count.
torch::Tensor test_noise_table(int64_t rows, int64_t latent_dim, uint64_t seed);

// −ELBO of `images_u8` ([N, C, H, W] uint8, the rows [first_row, first_row+N) of the split),
// in batches of `batch`, with ε = noise_table rows.
ElboSums evaluate_elbo(VaeModel& model, const torch::Tensor& images_u8, int64_t first_row, const torch::Tensor& noise_table,
                       double beta, int64_t batch, const torch::Device& device);

// Σ of the importance-weighted −log p(x) (K = `num_samples`) over `images_u8`, in batches.
ElboSums importance_weighted_sums(VaeModel& model, const torch::Tensor& images_u8, int64_t num_samples, torch::Generator& generator,
                                  int64_t batch, const torch::Device& device);

// The rows of this rank's test shard [shard_begin, shard_end) that fall among the first
// `subset` rows of the split, as a count from the shard's start (0 when none do).
int64_t rows_within_subset(int64_t shard_begin, int64_t shard_end, int64_t subset);

}  // namespace vae
