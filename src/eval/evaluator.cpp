#include "vae/evaluator.hpp"

#include "vae/eval_mode.hpp"
#include "vae/loader.hpp"
#include "vae/objective.hpp"

namespace vae {

torch::Tensor test_noise_table(int64_t rows, int64_t latent_dim, uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  return torch::randn({rows, latent_dim}, generator, torch::kFloat32);
}

ElboSums evaluate_elbo(VaeModel& model, const torch::Tensor& images_u8, int64_t first_row, const torch::Tensor& noise_table,
                       double beta, int64_t batch, const torch::Device& device) {
  const EvalModeGuard eval_mode(model);
  ElboSums sums;
  const int64_t n = images_u8.size(0);
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t count = std::min(batch, n - start);
    const auto x = to_model_input(images_u8.narrow(0, start, count), model.canvas(), device);
    const auto eps = noise_table.narrow(0, first_row + start, count).to(device);
    const LossTerms terms = negative_elbo(model, x, eps);
    sums.loss += terms.per_image(beta).sum().item<double>();
    sums.kl += terms.kl.sum().item<double>();
    sums.images += static_cast<double>(count);
  }
  return sums;
}

ElboSums importance_weighted_sums(VaeModel& model, const torch::Tensor& images_u8, int64_t num_samples, torch::Generator& generator,
                                  int64_t batch, const torch::Device& device) {
  const EvalModeGuard eval_mode(model);
  ElboSums sums;
  for (int64_t start = 0; start < images_u8.size(0); start += batch) {
    const int64_t n = std::min(batch, images_u8.size(0) - start);
    const auto x = to_model_input(images_u8.narrow(0, start, n), model.canvas(), device);
    sums.loss += importance_weighted_nll(model, x, num_samples, generator).sum().item<double>();
    sums.images += static_cast<double>(n);
  }
  return sums;
}

int64_t rows_within_subset(int64_t shard_begin, int64_t shard_end, int64_t subset) {
  return std::max<int64_t>(0, std::min(subset, shard_end) - shard_begin);
}

}  // namespace vae
