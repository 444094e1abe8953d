// The C++ ConvVAE against a PyTorch module written from the architecture: same weights, same ε,
// same μ, log σ², reconstruction, loss and gradients (tests/oracle/conv_vae_oracle.py).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "test_support.hpp"
#include "vae/conv_vae.hpp"
#include "vae/objective.hpp"

namespace vae {
namespace {

TEST(Oracle, ConvVaeMatchesPyTorchInForwardLossAndGradients) {
  testing::TempDir dir;
  torch::manual_seed(11);
  auto model = std::make_shared<ConvVae>(ModelSpec{ModelKind::kConv, {1, 28, 28}, 8});
  const auto x = pad_to_canvas(torch::rand({4, 1, 28, 28}), model->canvas());
  const auto eps = torch::randn({4, 8});
  const VaePass pass = forward_with_noise(*model, x, eps);
  const LossTerms terms{reconstruction_nll(pass.logits, x, model->spec().image), kl_to_standard_normal(pass.mu, pass.log_var)};
  const auto loss = terms.per_image(1.0).mean();
  loss.backward();

  c10::Dict<std::string, torch::Tensor> io;
  io.insert("x", x);
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

}  // namespace
}  // namespace vae
