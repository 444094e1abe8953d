#pragma once
// ConvVAE: the seed's convolutional VAE on a 32×32 canvas. Submodule names match the seed's
// PyTorch module (enc1…enc4, fc1, fc_mu, fc_log_var, fc2, dec1…dec4), so a saved model loads there.
//
//   x [B,C,32,32] → enc1..enc4 (4×4, stride 2, ReLU; 16,32,64,64 channels) → [B,64,1,1]
//     → fc1 (64→128) → fc_mu, fc_log_var (128→latent)
//   z → fc2 (latent→64) → [B,64,1,1] → dec1 (4×4, stride 1) → dec2..dec4 (4×4, stride 2)
//     → logits [B,C,32,32]
//
// Images larger than 32×32 sit on the next power-of-two canvas, 32·2^d, and the model gains d
// stride-2 layers at each end (4×4 kernels, 16 channels, ReLU between layers): down1..down_d
// take the canvas to 32×32 before enc1 (which then reads 16 channels), and up1..up_d take dec4's
// 32×32 (then 16 channels) back to the canvas, the last one to C channels. d = 0 is the seed's model.
#include "vae/conv_vae_sizes.hpp"
#include "vae/fast_conv_vae.hpp"
#include "vae/vae_model.hpp"

namespace vae {

class ConvVae : public VaeModel {
 public:
  explicit ConvVae(const ModelSpec& spec);
  Posterior encode(const torch::Tensor& x, Pass pass) override;
  torch::Tensor decode_logits(const torch::Tensor& z, Pass pass) override;
  // Without autograd on the CPU, encode and decode_logits run here too (evaluation, pictures).
  FastConvVae* fast_kernels() override { return fast_.get(); }

  static constexpr int64_t kCanvas = conv_vae::kCanvas;  // the seed's canvas; larger images double it (canvas_for)

 private:
  std::vector<torch::nn::Conv2d> down_;
  std::vector<torch::nn::ConvTranspose2d> up_;
  torch::nn::Conv2d enc1_{nullptr}, enc2_{nullptr}, enc3_{nullptr}, enc4_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc_mu_{nullptr}, fc_log_var_{nullptr}, fc2_{nullptr};
  torch::nn::ConvTranspose2d dec1_{nullptr}, dec2_{nullptr}, dec3_{nullptr}, dec4_{nullptr};
  std::unique_ptr<FastConvVae> fast_;  // null: LibTorch's kernels (--kernels torch, or a canvas over 32×32)
};

}  // namespace vae
