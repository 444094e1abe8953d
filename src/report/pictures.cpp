#include "vae/pictures.hpp"

#include <cmath>

#include "vae/eval_mode.hpp"
#include "vae/loader.hpp"

namespace vae {
namespace {

torch::Device device_of(VaeModel& model) { return model.parameters().front().device(); }

// Φ⁻¹(p) via the inverse error function.
double inverse_normal_cdf(double p) { return std::sqrt(2.0) * torch::erfinv(torch::tensor(2 * p - 1, torch::kFloat64)).item<double>(); }

}  // namespace

Image grid_of(const torch::Tensor& probabilities, int64_t nrow, int64_t padding) {
  const auto bytes = probabilities.detach().to(torch::kCPU).mul(255.0).round().clamp(0, 255).to(torch::kUInt8).contiguous();
  return make_grid(bytes.data_ptr<uint8_t>(), bytes.size(0), bytes.size(1), bytes.size(2), bytes.size(3), nrow, padding);
}

torch::Tensor decode_images(VaeModel& model, const torch::Tensor& z) {
  const EvalModeGuard eval_mode(model);
  return crop_to_image(torch::sigmoid(model.decode_logits(z.to(device_of(model)), Pass::kInference)), model.spec().image).to(torch::kCPU);
}

torch::Tensor fixed_latents(int64_t count, int64_t latent_dim, uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  return torch::randn({count, latent_dim}, generator, torch::kFloat32);
}

Image reconstruction_grid(VaeModel& model, const torch::Tensor& images_u8, int64_t nrow) {
  const auto x = to_model_input(images_u8, model.canvas(), device_of(model));
  torch::Tensor recon;
  {
    const EvalModeGuard eval_mode(model);
    recon = decode_images(model, model.encode(x, Pass::kInference).mu);
  }
  const auto originals = images_u8.to(torch::kFloat32) / 255.0;
  std::vector<torch::Tensor> rows;
  for (int64_t start = 0; start < originals.size(0); start += nrow) {
    const int64_t n = std::min(nrow, originals.size(0) - start);
    rows.push_back(originals.narrow(0, start, n));
    rows.push_back(recon.narrow(0, start, n));
  }
  return grid_of(torch::cat(rows), std::min(nrow, originals.size(0)));
}

Image latent_manifold(VaeModel& model, int64_t side) {
  TORCH_CHECK(model.spec().latent_dim == 2, "latent_manifold needs a 2-D latent");
  std::vector<float> lattice;
  for (int64_t row = 0; row < side; ++row)
    for (int64_t col = 0; col < side; ++col) {
      // Row 0 at the top holds the largest z₂, as in the paper's figure.
      lattice.push_back(static_cast<float>(inverse_normal_cdf((static_cast<double>(col) + 0.5) / static_cast<double>(side))));
      lattice.push_back(static_cast<float>(inverse_normal_cdf(1.0 - (static_cast<double>(row) + 0.5) / static_cast<double>(side))));
    }
  const auto z = torch::from_blob(lattice.data(), {side * side, 2}, torch::kFloat32).clone();
  return grid_of(decode_images(model, z), side, 0);
}

torch::Tensor posterior_means(VaeModel& model, const torch::Tensor& images_u8, int64_t batch) {
  const EvalModeGuard eval_mode(model);
  std::vector<torch::Tensor> means;
  for (int64_t start = 0; start < images_u8.size(0); start += batch) {
    const auto x = to_model_input(images_u8.narrow(0, start, std::min(batch, images_u8.size(0) - start)), model.canvas(), device_of(model));
    means.push_back(model.encode(x, Pass::kInference).mu.to(torch::kCPU));
  }
  return torch::cat(means);
}

}  // namespace vae
