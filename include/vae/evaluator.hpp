#pragma once
// Evaluation on one rank's rows of the test split; the caller sums the results across ranks.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "vae/shard_plan.hpp"
#include "vae/vae_model.hpp"

namespace vae {

struct ElboSums {
  double loss = 0;    // Σ −ELBO over the rows, nats
  double kl = 0;      // Σ KL over the rows, nats
  double images = 0;  // rows evaluated
  double seconds = 0; // wall time of the pass
  bool abandoned = false;  // the pass stopped early (a stop was asked for): the sums are partial
};

// Called after each batch of an evaluation pass; returning false abandons the pass. Empty: never abandon.
using BetweenBatches = std::function<bool()>;

// The batches a pass over `rows` images takes in batches of `batch`.
inline int64_t batches_of(int64_t rows, int64_t batch) { return (rows + batch - 1) / batch; }

// The noise for the whole test split, drawn once from `seed`: row i of the split always gets
// row i of this table, so the test loss summed over ranks does not depend on the rank count.
torch::Tensor test_noise_table(int64_t rows, int64_t latent_dim, uint64_t seed);

// −ELBO of `images_u8` ([N, C, H, W] uint8, the rows [first_row, first_row+N) of the split),
// in batches of `batch`, with ε = noise_table rows.
ElboSums evaluate_elbo(VaeModel& model, const torch::Tensor& images_u8, int64_t first_row, const torch::Tensor& noise_table,
                       double beta, int64_t batch, const torch::Device& device, const BetweenBatches& go_on = {});

// The test rows the importance-weighted estimate uses: `subset` rows spread evenly over the
// split's `split_rows` (row ⌊i·split_rows/subset⌋ for i < subset; all rows when subset ≥ split_rows).
// The set does not depend on the rank count, and each rank's contiguous shard holds its even
// share. Returns the global rows that fall inside `shard`, ascending.
std::vector<int64_t> iw_rows_in_shard(int64_t split_rows, int64_t subset, RowRange shard);

// ε for the importance samples of the given global test rows: [K, rows.size(), latent]. Row r's
// samples come from a stream of its own, derived from (seed, r), so an image's estimate is the
// same whichever rank evaluates it.
torch::Tensor importance_noise(const std::vector<int64_t>& rows, int64_t num_samples, int64_t latent_dim, uint64_t seed);

// Σ of the importance-weighted −log p(x) over `images_u8` ([N, C, H, W] uint8), with ε = `eps`
// ([K, N, latent]), in batches of `batch` images.
ElboSums importance_weighted_sums(VaeModel& model, const torch::Tensor& images_u8, const torch::Tensor& eps, int64_t batch,
                                  const torch::Device& device, const BetweenBatches& go_on = {});

// Images per batch of the importance-weighted pass: 8 images × 32 samples = 256 decodes at a time
// ran 12–28% faster than 256 images in two runs of bench/ BM_ImportanceWeighted (K = 100).
inline constexpr int64_t kImportanceBatch = 8;

// The importance-weighted sums over this rank's share of the estimate's rows (see iw_rows_in_shard):
// `shard_u8` holds the test rows [shard.begin, shard.end). Summed over ranks, the result equals
// what one process computes on the whole split.
ElboSums importance_weighted_on_shard(VaeModel& model, const torch::Tensor& shard_u8, RowRange shard, int64_t split_rows,
                                      int64_t subset, int64_t num_samples, uint64_t seed, int64_t batch, const torch::Device& device,
                                      const BetweenBatches& go_on = {});

}  // namespace vae
