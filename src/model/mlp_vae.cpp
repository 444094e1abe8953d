#include "vae/mlp_vae.hpp"

namespace vae {

MlpVae::MlpVae(const ModelSpec& spec) : VaeModel(spec) {
  const int64_t d = spec.image.numel(), latent = spec.latent_dim;
  fc1_ = register_module("fc1", torch::nn::Linear(d, kHidden));
  fc21_ = register_module("fc21", torch::nn::Linear(kHidden, latent));
  fc22_ = register_module("fc22", torch::nn::Linear(kHidden, latent));
  fc3_ = register_module("fc3", torch::nn::Linear(latent, kHidden));
  fc4_ = register_module("fc4", torch::nn::Linear(kHidden, d));
}

// LibTorch's kernels for either pass: the MLP has no fast path.
VaeModel::Posterior MlpVae::encode(const torch::Tensor& x, Pass) {
  const auto h = torch::relu(fc1_(x.flatten(1)));
  return {fc21_(h), fc22_(h)};
}

torch::Tensor MlpVae::decode_logits(const torch::Tensor& z, Pass) {
  const ImageShape c = canvas();
  return fc4_(torch::relu(fc3_(z))).view({-1, c.channels, c.height, c.width});
}

}  // namespace vae
