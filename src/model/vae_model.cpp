#include "vae/vae_model.hpp"

#include "vae/conv_vae.hpp"
#include "vae/error.hpp"
#include "vae/mlp_vae.hpp"

namespace vae {

VaeModel::VaeModel(ModelSpec spec) : spec_(spec), canvas_(canvas_for(spec.kind, spec.image)) {
  require(spec.latent_dim > 0, "--latent-dim must be positive, got " + std::to_string(spec.latent_dim));
}

ImageShape canvas_for(ModelKind kind, const ImageShape& image) {
  if (kind == ModelKind::kMlp) return image;
  // 32×32 (the seed's), or the next power of two that holds the images; see conv_vae.hpp.
  constexpr int64_t kLargest = 1024;
  require(image.height <= kLargest && image.width <= kLargest,
          "the conv model's canvas goes up to " + std::to_string(kLargest) + "×" + std::to_string(kLargest) + " but the images are " +
              std::to_string(image.height) + "×" + std::to_string(image.width) + ": downscale them");
  int64_t side = ConvVae::kCanvas;
  while (side < image.height || side < image.width) side *= 2;
  return ImageShape{image.channels, side, side};
}

std::shared_ptr<VaeModel> make_model(const ModelSpec& spec) {
  if (spec.kind == ModelKind::kMlp) return std::make_shared<MlpVae>(spec);
  return std::make_shared<ConvVae>(spec);
}

std::shared_ptr<VaeModel> copy_to_cpu(VaeModel& model) {
  auto copy = make_model(model.spec());
  torch::NoGradGuard no_grad;
  const auto from = model.parameters();
  const auto to = copy->parameters();
  for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  const auto from_buffers = model.buffers();
  const auto to_buffers = copy->buffers();
  for (size_t i = 0; i < from_buffers.size(); ++i) to_buffers[i].copy_(from_buffers[i]);
  return copy;
}

}  // namespace vae
