#pragma once
// MlpVAE: the seed's fully-connected VAE (fc1, fc21, fc22, fc3, fc4 as in PyTorch's example).
//   x [B, D] → fc1 (D→400, ReLU) → fc21 = μ, fc22 = log σ² (400→latent)
//   z → fc3 (latent→400, ReLU) → fc4 (400→D) → logits
// Its canvas is the image itself (no padding).
#include "vae/vae_model.hpp"

namespace vae {

class MlpVae : public VaeModel {
 public:
  explicit MlpVae(const ModelSpec& spec);
  Posterior encode(const torch::Tensor& x, Pass pass) override;
  torch::Tensor decode_logits(const torch::Tensor& z, Pass pass) override;

  static constexpr int64_t kHidden = 400;

 private:
  torch::nn::Linear fc1_{nullptr}, fc21_{nullptr}, fc22_{nullptr}, fc3_{nullptr}, fc4_{nullptr};
};

}  // namespace vae
