#include "vae/objective.hpp"

#include <cmath>

#include "vae/fast_conv_vae.hpp"

namespace vae {
namespace {

// log N(z; mean, exp(log_var)) summed over the last dimension.
torch::Tensor diagonal_gaussian_log_density(const torch::Tensor& z, const torch::Tensor& mean, const torch::Tensor& log_var) {
  const double log_two_pi = std::log(2.0 * M_PI);
  return (-0.5 * (log_two_pi + log_var + (z - mean).pow(2) * torch::exp(-log_var))).sum(-1);
}

// −log p(x | z) per row of z, row m against image m mod B of x: on the fast path the decoder and
// the likelihood in one pass (Note [Evaluation at the decoder's pace]), else through the logits.
torch::Tensor decoded_nll(VaeModel& model, const torch::Tensor& z, const torch::Tensor& x, Pass pass) {
  if (pass == Pass::kInference && z.is_cpu())
    if (FastConvVae* fast = model.fast_kernels()) return fast->reconstruction_nll(z, x);
  const auto logits = model.decode_logits(z, pass);
  const int64_t repeats = z.size(0) / x.size(0);
  const auto targets = repeats == 1 ? x : x.unsqueeze(0).expand({repeats, -1, -1, -1, -1}).reshape(logits.sizes());
  return reconstruction_nll(logits, targets, model.spec().image);
}

}  // namespace

VaePass forward_with_noise(VaeModel& model, const torch::Tensor& x, const torch::Tensor& eps, Pass pass) {
  auto posterior = model.encode(x, pass);
  const auto z = posterior.mu + eps * torch::exp(0.5 * posterior.log_var);
  return {model.decode_logits(z, pass), posterior.mu, posterior.log_var};
}

torch::Tensor reconstruction_nll(const torch::Tensor& logits, const torch::Tensor& target, const ImageShape& image) {
  const auto bce = torch::binary_cross_entropy_with_logits(crop_to_image(logits, image), crop_to_image(target, image), {}, {},
                                                           at::Reduction::None);
  return bce.flatten(1).sum(1);
}

torch::Tensor kl_to_standard_normal(const torch::Tensor& mu, const torch::Tensor& log_var) {
  return -0.5 * (1 + log_var - mu.pow(2) - log_var.exp()).sum(1);
}

LossTerms negative_elbo(VaeModel& model, const torch::Tensor& x, const torch::Tensor& eps, Pass pass) {
  const auto posterior = model.encode(x, pass);
  const auto z = posterior.mu + eps * torch::exp(0.5 * posterior.log_var);
  return {decoded_nll(model, z, x, pass), kl_to_standard_normal(posterior.mu, posterior.log_var)};
}

torch::Tensor importance_weighted_nll(VaeModel& model, const torch::Tensor& x, const torch::Tensor& eps, int64_t chunk) {
  torch::NoGradGuard no_grad;
  const auto posterior = model.encode(x, Pass::kInference);
  const int64_t num_samples = eps.size(0), batch = x.size(0), latent = posterior.mu.size(1);
  TORCH_CHECK(eps.dim() == 3 && eps.size(1) == batch && eps.size(2) == latent, "importance_weighted_nll: eps must be [K, B, latent]");
  const auto std_dev = torch::exp(0.5 * posterior.log_var);
  std::vector<torch::Tensor> log_weights;  // each [k, B]
  for (int64_t start = 0; start < num_samples; start += chunk) {
    const int64_t k = std::min(chunk, num_samples - start);
    const auto z = posterior.mu.unsqueeze(0) + eps.narrow(0, start, k).to(posterior.mu.device()) * std_dev.unsqueeze(0);  // [k, B, L]
    const auto log_px_given_z = -decoded_nll(model, z.reshape({k * batch, latent}), x, Pass::kInference).view({k, batch});
    const auto log_pz = diagonal_gaussian_log_density(z, torch::zeros_like(z), torch::zeros_like(z));
    const auto log_qz = diagonal_gaussian_log_density(z, posterior.mu.unsqueeze(0), posterior.log_var.unsqueeze(0));
    log_weights.push_back(log_px_given_z + log_pz - log_qz);
  }
  const auto all = torch::cat(log_weights, 0);  // [K, B]
  return -(torch::logsumexp(all, 0) - std::log(static_cast<double>(num_samples)));
}

}  // namespace vae
