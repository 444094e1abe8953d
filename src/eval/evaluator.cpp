#include "vae/evaluator.hpp"

#include "vae/eval_mode.hpp"
#include "vae/loader.hpp"
#include "vae/objective.hpp"
#include "vae/seeds.hpp"

namespace vae {
namespace {

ElboSums abandon(ElboSums sums) {
  sums.abandoned = true;
  return sums;
}

}  // namespace

torch::Tensor test_noise_table(int64_t rows, int64_t latent_dim, uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  return torch::randn({rows, latent_dim}, generator, torch::kFloat32);
}

ElboSums evaluate_elbo(VaeModel& model, const torch::Tensor& images_u8, int64_t first_row, const torch::Tensor& noise_table,
                       double beta, int64_t batch, const torch::Device& device, const BetweenBatches& go_on) {
  const EvalModeGuard eval_mode(model);
  ElboSums sums;
  const int64_t n = images_u8.size(0);
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t count = std::min(batch, n - start);
    const auto x = to_model_input(images_u8.narrow(0, start, count), model.canvas(), device);
    const auto eps = noise_table.narrow(0, first_row + start, count).to(device);
    const LossTerms terms = negative_elbo(model, x, eps, Pass::kInference);
    sums.loss += terms.per_image(beta).sum().item<double>();
    sums.kl += terms.kl.sum().item<double>();
    sums.images += static_cast<double>(count);
    if (go_on && !go_on()) return abandon(sums);
  }
  return sums;
}

ElboSums importance_weighted_sums(VaeModel& model, const torch::Tensor& images_u8, const torch::Tensor& eps, int64_t batch,
                                  const torch::Device& device, const BetweenBatches& go_on) {
  const EvalModeGuard eval_mode(model);
  ElboSums sums;
  for (int64_t start = 0; start < images_u8.size(0); start += batch) {
    const int64_t n = std::min(batch, images_u8.size(0) - start);
    const auto x = to_model_input(images_u8.narrow(0, start, n), model.canvas(), device);
    sums.loss += importance_weighted_nll(model, x, eps.narrow(1, start, n)).sum().item<double>();
    sums.images += static_cast<double>(n);
    if (go_on && !go_on()) return abandon(sums);
  }
  return sums;
}

std::vector<int64_t> iw_rows_in_shard(int64_t split_rows, int64_t subset, RowRange shard) {
  const int64_t count = std::min(subset, split_rows);
  std::vector<int64_t> rows;
  if (count <= 0) return rows;
  // Row ⌊i·N/S⌋ lies in [begin, end) for i in [⌈begin·S/N⌉, ⌈end·S/N⌉).
  const auto first_index_at_or_after = [&](int64_t row) { return (row * count + split_rows - 1) / split_rows; };
  for (int64_t i = first_index_at_or_after(shard.begin); i < std::min(count, first_index_at_or_after(shard.end)); ++i)
    rows.push_back(i * split_rows / count);
  return rows;
}

torch::Tensor importance_noise(const std::vector<int64_t>& rows, int64_t num_samples, int64_t latent_dim, uint64_t seed) {
  auto eps = torch::empty({num_samples, static_cast<int64_t>(rows.size()), latent_dim}, torch::kFloat32);
  for (size_t i = 0; i < rows.size(); ++i) {
    auto generator = at::detail::createCPUGenerator(derive_seed({seed, static_cast<uint64_t>(rows[i])}));
    eps.select(1, static_cast<int64_t>(i)).copy_(torch::randn({num_samples, latent_dim}, generator, torch::kFloat32));
  }
  return eps;
}

ElboSums importance_weighted_on_shard(VaeModel& model, const torch::Tensor& shard_u8, RowRange shard, int64_t split_rows,
                                      int64_t subset, int64_t num_samples, uint64_t seed, int64_t batch, const torch::Device& device,
                                      const BetweenBatches& go_on) {
  const std::vector<int64_t> rows = iw_rows_in_shard(split_rows, subset, shard);
  std::vector<int64_t> local(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) local[i] = rows[i] - shard.begin;
  const auto images = shard_u8.index_select(0, torch::tensor(local, torch::kInt64));
  return importance_weighted_sums(model, images, importance_noise(rows, num_samples, model.spec().latent_dim, seed), batch, device, go_on);
}

}  // namespace vae
