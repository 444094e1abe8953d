// The C++ ConvVAE against a PyTorch module written from the architecture: same weights, same ε,
// same μ, log σ², reconstruction, loss and gradients (tests/oracle/conv_vae_oracle.py), through
// LibTorch's kernels and through the fast path (fast_conv_vae.hpp) alike.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "test_support.hpp"
#include "vae/conv_vae.hpp"
#include "vae/objective.hpp"

namespace vae {
namespace {

struct Computed {
  VaePass pass;
  torch::Tensor loss;  // mean −ELBO; the gradients are in the parameters' .grad
};

Computed through_autograd(ConvVae& model, const torch::Tensor& x, const torch::Tensor& eps) {
  VaePass pass = forward_with_noise(model, x, eps, Pass::kAutograd);
  const LossTerms terms{reconstruction_nll(pass.logits, x, model.spec().image), kl_to_standard_normal(pass.mu, pass.log_var)};
  auto loss = terms.per_image(1.0).mean();
  loss.backward();
  return {pass, loss};
}

Computed through_fast_path(ConvVae& model, const torch::Tensor& x, const torch::Tensor& eps) {
  FastConvVae* fast = model.fast_kernels();
  EXPECT_NE(fast, nullptr);
  const auto batch = static_cast<double>(x.size(0));
  const auto sums = fast->train_step(x, eps, 1.0, 1.0 / batch, [](size_t) {});
  torch::NoGradGuard no_grad;  // the forward passes below run on the fast path too
  return {forward_with_noise(model, x, eps, Pass::kInference), torch::tensor(sums.loss / batch)};
}

// Runs one batch through the C++ model and asks the oracle to recompute it in float64.
void expect_matches_oracle(const ImageShape& image, int64_t latent, Kernels kernels = Kernels::kTorch, int64_t batch = 4) {
  testing::TempDir dir;
  torch::manual_seed(11);
  auto model = std::make_shared<ConvVae>(ModelSpec{ModelKind::kConv, image, latent, kernels});
  const auto x = pad_to_canvas(torch::rand({batch, image.channels, image.height, image.width}), model->canvas());
  const auto eps = torch::randn({batch, latent});
  const auto [pass, loss] = kernels == Kernels::kFast ? through_fast_path(*model, x, eps) : through_autograd(*model, x, eps);

  c10::Dict<std::string, torch::Tensor> io;
  io.insert("x", x);
  io.insert("image_size", torch::tensor({image.height, image.width}));
  io.insert("eps", eps);
  io.insert("mu", pass.mu.detach());
  io.insert("log_var", pass.log_var.detach());
  io.insert("reconstruction", torch::sigmoid(pass.logits).detach());
  io.insert("loss", loss.detach());
  for (const auto& item : model->named_parameters()) io.insert("grad." + item.key(), item.value().grad());
  const std::vector<char> bytes = torch::pickle_save(io);
  std::ofstream(dir.file("io.pt"), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  torch::save(model, dir.file("model.pt"));

  int status = 0;
  const std::string output =
      testing::run_command(std::string("/usr/bin/python3 ") + VAE_SOURCE_DIR "/tests/oracle/conv_vae_oracle.py " + dir.file("model.pt") + " " + dir.file("io.pt"),
                           status);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("worst relative error"), std::string::npos) << output;
}

TEST(Oracle, ConvVaeMatchesPyTorchInForwardLossAndGradients) { expect_matches_oracle({1, 28, 28}, 8); }

TEST(Oracle, FastPathMatchesPyTorchInForwardLossAndGradients) { expect_matches_oracle({1, 28, 28}, 8, Kernels::kFast); }

// Three channels filling the canvas, and an odd-sized crop of it (the loss covers its pixels only).
TEST(Oracle, FastPathMatchesPyTorchOnOtherShapes) {
  expect_matches_oracle({3, 32, 32}, 5, Kernels::kFast);
  expect_matches_oracle({1, 21, 26}, 64, Kernels::kFast);
}

// Batch sizes for which oneDNN picks other kernels and blockings.
TEST(Oracle, FastPathMatchesPyTorchAtOtherBatchSizes) {
  for (int64_t batch : {1, 192, 384}) expect_matches_oracle({1, 28, 28}, 2, Kernels::kFast, batch);
}

// 64×64 RGB on a 64×64 canvas (one more stride-2 layer at each end), and 3×50×60 centred on it.
TEST(Oracle, LargerImagesMatchPyTorchOnTheDoubledCanvas) {
  expect_matches_oracle({3, 64, 64}, 8);
  expect_matches_oracle({3, 50, 60}, 4);
}

}  // namespace
}  // namespace vae
