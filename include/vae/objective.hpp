#pragma once
// The VAE objective, in nats per image (Kingma & Welling 2013, eq. 10 with a Bernoulli decoder):
//   −ELBO(x) = BCE(x, decoder(z)) summed over the dataset's real pixels + β·KL(q(z|x) ‖ N(0, I))
// and the importance-weighted estimate of −log p(x) (Burda et al. 2015) for evaluation.
// The noise ε is an argument, so tests can feed the same ε to this code and to a PyTorch oracle.
#include <torch/torch.h>

#include "vae/vae_model.hpp"

namespace vae {

struct VaePass {
  torch::Tensor logits;   // [B, C, canvas…]
  torch::Tensor mu, log_var;
};

// Encodes `x` (canvas-sized, in [0,1]) and decodes z = μ + ε·exp(log σ² / 2), on `pass`'s kernels.
VaePass forward_with_noise(VaeModel& model, const torch::Tensor& x, const torch::Tensor& eps, Pass pass);

// Σ over the real pixels of BCE(target, sigmoid(logits)), per image: [B]. Both are canvas-sized.
torch::Tensor reconstruction_nll(const torch::Tensor& logits, const torch::Tensor& target, const ImageShape& image);

// KL(N(μ, σ²) ‖ N(0, I)) summed over latent dimensions, per image: [B].
torch::Tensor kl_to_standard_normal(const torch::Tensor& mu, const torch::Tensor& log_var);

struct LossTerms {
  torch::Tensor reconstruction;  // [B] nats
  torch::Tensor kl;              // [B] nats
  torch::Tensor per_image(double beta) const { return reconstruction + beta * kl; }
};

LossTerms negative_elbo(VaeModel& model, const torch::Tensor& x, const torch::Tensor& eps, Pass pass);

// −log p(x) ≈ −log (1/K Σ_k p(x|z_k) p(z_k) / q(z_k|x)), z_k = μ + ε_k·σ ~ q(z|x), per image: [B].
// `eps` is [K, B, latent] (K importance samples per image). Computed with a stable log-sum-exp;
// decodes at most `chunk` samples per image at a time. An inference pass (Pass::kInference).
torch::Tensor importance_weighted_nll(VaeModel& model, const torch::Tensor& x, const torch::Tensor& eps, int64_t chunk = 32);

}  // namespace vae
