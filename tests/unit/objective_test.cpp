#include "vae/objective.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "vae/conv_vae.hpp"

namespace vae {
namespace {

TEST(Objective, KlMatchesTheClosedForm) {
  // KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1 − log σ²) per dimension.
  const std::vector<std::pair<double, double>> cases = {{0.0, 1.0}, {1.5, 1.0}, {0.0, 0.25}, {-0.7, 3.0}};
  for (const auto& [mu, var] : cases) {
    const auto kl = kl_to_standard_normal(torch::full({1, 1}, mu, torch::kFloat64), torch::full({1, 1}, std::log(var), torch::kFloat64));
    EXPECT_NEAR(kl.item<double>(), 0.5 * (mu * mu + var - 1 - std::log(var)), 1e-12);
  }
  // Summed over latent dimensions, one value per image.
  const auto kl = kl_to_standard_normal(torch::ones({3, 4}), torch::zeros({3, 4}));
  EXPECT_EQ(kl.sizes(), (std::vector<int64_t>{3}));
  EXPECT_NEAR(kl[1].item<float>(), 4 * 0.5, 1e-6);
}

TEST(Objective, BceByHandOverTheRealPixelsOnly) {
  // A 1×1 image on a 3×3 canvas: only the centre pixel counts.
  const ImageShape image{1, 1, 1};
  auto logits = torch::full({2, 1, 3, 3}, 5.0, torch::kFloat64);
  logits.index_put_({0, 0, 1, 1}, 0.3);
  logits.index_put_({1, 0, 1, 1}, -2.0);
  auto target = torch::zeros({2, 1, 3, 3}, torch::kFloat64);
  target.index_put_({0, 0, 1, 1}, 1.0);
  target.index_put_({1, 0, 1, 1}, 0.25);
  const auto nll = reconstruction_nll(logits, target, image);
  const auto bce = [](double t, double logit) {
    const double p = 1 / (1 + std::exp(-logit));
    return -(t * std::log(p) + (1 - t) * std::log(1 - p));
  };
  EXPECT_NEAR(nll[0].item<double>(), bce(1.0, 0.3), 1e-12);
  EXPECT_NEAR(nll[1].item<double>(), bce(0.25, -2.0), 1e-12);
}

TEST(Objective, ImportanceWeightedBoundIsTighterThanTheElbo) {
  torch::manual_seed(0);
  ConvVae model({ModelKind::kConv, {1, 28, 28}, 4});
  const auto x = pad_to_canvas(torch::rand({6, 1, 28, 28}).gt(0.7).to(torch::kFloat32), model.canvas());
  auto generator = at::detail::createCPUGenerator(1);
  torch::NoGradGuard no_grad;
  // The mean −ELBO over many ε, against the K-sample bound: −log p(x) ≤ IW(K) ≤ −ELBO on average.
  torch::Tensor elbo = torch::zeros({6});
  const int draws = 200;
  for (int i = 0; i < draws; ++i) {
    const auto terms = negative_elbo(model, x, torch::randn({6, 4}, generator, torch::kFloat32), Pass::kInference);
    elbo += terms.per_image(1.0) / draws;
  }
  const auto iw = importance_weighted_nll(model, x, torch::randn({500, 6, 4}, generator, torch::kFloat32));
  ASSERT_EQ(iw.sizes(), (std::vector<int64_t>{6}));
  EXPECT_TRUE(torch::isfinite(iw).all().item<bool>());
  EXPECT_TRUE((iw < elbo).all().item<bool>()) << "IW " << iw << " ELBO " << elbo;
  // With one sample the estimate is an unbiased draw of the ELBO: close to it on average.
  torch::Tensor one = torch::zeros({6});
  for (int i = 0; i < draws; ++i) one += importance_weighted_nll(model, x, torch::randn({1, 6, 4}, generator, torch::kFloat32)) / draws;
  EXPECT_LT(((one - elbo).abs() / elbo).max().item<float>(), 0.01);
}

TEST(Objective, LogSumExpStaysFiniteForLargeImages) {
  // 784 pixels of confident mistakes give log-weights near −10⁴: a naive exp would underflow to 0.
  torch::manual_seed(0);
  ConvVae model({ModelKind::kConv, {1, 28, 28}, 2});
  {
    torch::NoGradGuard no_grad;
    model.named_parameters()["dec4.bias"].fill_(30.0);  // predicts white everywhere
  }
  auto generator = at::detail::createCPUGenerator(2);
  const auto x = torch::zeros({2, 1, 32, 32});
  const auto iw = importance_weighted_nll(model, x, torch::randn({50, 2, 2}, generator, torch::kFloat32));
  EXPECT_TRUE(torch::isfinite(iw).all().item<bool>());
  EXPECT_GT(iw.min().item<float>(), 1000.0);
}

// Evaluation on the fast path (decoder and likelihood in one pass) against LibTorch's kernels with
// the same weights: grey and colour images, and decode counts that leave a partial GEMM tile.
TEST(Objective, FastEvaluationEqualsLibTorchs) {
  for (const ImageShape image : {ImageShape{1, 28, 28}, ImageShape{3, 32, 32}}) {
    torch::manual_seed(3);
    ConvVae fast({ModelKind::kConv, image, 8, Kernels::kFast}), reference({ModelKind::kConv, image, 8, Kernels::kTorch});
    torch::NoGradGuard no_grad;
    for (auto& item : reference.named_parameters()) item.value().copy_(fast.named_parameters()[item.key()]);
    ASSERT_NE(fast.fast_kernels(), nullptr);
    const auto x = pad_to_canvas(torch::rand({5, image.channels, image.height, image.width}), fast.canvas());
    const auto eps = torch::randn({5, 8});
    const auto fast_elbo = negative_elbo(fast, x, eps, Pass::kInference), torch_elbo = negative_elbo(reference, x, eps, Pass::kInference);
    // Float sums over 784–3072 pixels of ~0.7 nats each, in another order: ~1e-6 of the total.
    EXPECT_TRUE(torch::allclose(fast_elbo.reconstruction, torch_elbo.reconstruction, 1e-5, 1e-3)) << fast_elbo.reconstruction << torch_elbo.reconstruction;
    EXPECT_TRUE(torch::allclose(fast_elbo.kl, torch_elbo.kl, 1e-5, 1e-5));
    const auto samples = torch::randn({37, 5, 8});
    const auto fast_iw = importance_weighted_nll(fast, x, samples), torch_iw = importance_weighted_nll(reference, x, samples);
    EXPECT_TRUE(torch::allclose(fast_iw, torch_iw, 1e-5, 1e-3)) << fast_iw << torch_iw;
  }
}

}  // namespace
}  // namespace vae
