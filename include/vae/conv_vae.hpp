#pragma once
// ConvVAE: the seed's convolutional VAE on a 32×32 canvas. Submodule names match the seed's
// PyTorch module (enc1…enc4, fc1, fc_mu, fc_log_var, fc2, dec1…dec4), so a saved model loads there.
//
//   x [B,C,32,32] → enc1..enc4 (4×4, stride 2, ReLU; 16,32,64,64 channels) → [B,64,1,1]
//     → fc1 (64→128) → fc_mu, fc_log_var (128→latent)
//   z → fc2 (latent→64) → [B,64,1,1] → dec1 (4×4, stride 1) → dec2..dec4 (4×4, stride 2)
//     → logits [B,C,32,32]
#include "vae/vae_model.hpp"

namespace vae {

class ConvVae : public VaeModel {
 public:
  explicit ConvVae(const ModelSpec& spec);
  Posterior encode(const torch::Tensor& x) override;
  torch::Tensor decode_logits(const torch::Tensor& z) override;

  static constexpr int64_t kCanvas = 32;

 private:
  torch::nn::Conv2d enc1_{nullptr}, enc2_{nullptr}, enc3_{nullptr}, enc4_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc_mu_{nullptr}, fc_log_var_{nullptr}, fc2_{nullptr};
  torch::nn::ConvTranspose2d dec1_{nullptr}, dec2_{nullptr}, dec3_{nullptr}, dec4_{nullptr};
};

}  // namespace vae
