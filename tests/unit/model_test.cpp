#include <gtest/gtest.h>

#include <algorithm>

#include "vae/conv_vae.hpp"
#include "vae/error.hpp"
#include "vae/mlp_vae.hpp"
#include "vae/objective.hpp"

namespace vae {
namespace {

std::vector<std::string> parameter_names(const torch::nn::Module& m) {
  std::vector<std::string> names;
  for (const auto& item : m.named_parameters()) names.push_back(item.key());
  return names;
}

TEST(ConvVae, ShapesFor28And32PixelImages) {
  for (int64_t side : {28, 32}) {
    ConvVae model({ModelKind::kConv, {1, side, side}, 2});
    EXPECT_EQ(model.canvas().height, 32);
    const auto x = pad_to_canvas(torch::rand({5, 1, side, side}), model.canvas());
    ASSERT_EQ(x.sizes(), (std::vector<int64_t>{5, 1, 32, 32}));
    const auto pass = forward_with_noise(model, x, torch::zeros({5, 2}), Pass::kAutograd);
    EXPECT_EQ(pass.mu.sizes(), (std::vector<int64_t>{5, 2}));
    EXPECT_EQ(pass.log_var.sizes(), (std::vector<int64_t>{5, 2}));
    EXPECT_EQ(pass.logits.sizes(), (std::vector<int64_t>{5, 1, 32, 32}));
    EXPECT_EQ(crop_to_image(pass.logits, {1, side, side}).sizes(), (std::vector<int64_t>{5, 1, side, side}));
  }
}

TEST(ConvVae, ParameterNamesMatchTheSeedModule) {
  ConvVae model({ModelKind::kConv, {1, 28, 28}, 16});
  const std::vector<std::string> expected = {
      "enc1.weight", "enc1.bias", "enc2.weight", "enc2.bias", "enc3.weight",       "enc3.bias",       "enc4.weight",
      "enc4.bias",   "fc1.weight", "fc1.bias",  "fc_mu.weight", "fc_mu.bias",      "fc_log_var.weight", "fc_log_var.bias",
      "fc2.weight",  "fc2.bias",  "dec1.weight", "dec1.bias",  "dec2.weight",     "dec2.bias",       "dec3.weight",
      "dec3.bias",   "dec4.weight", "dec4.bias"};
  EXPECT_EQ(parameter_names(model), expected);
  // The seed's layer widths: 1→16→32→64→64, 64→128, transposed 64→128→64→32→1.
  EXPECT_EQ(model.named_parameters()["enc4.weight"].sizes(), (std::vector<int64_t>{64, 64, 4, 4}));
  EXPECT_EQ(model.named_parameters()["dec1.weight"].sizes(), (std::vector<int64_t>{64, 128, 4, 4}));
  EXPECT_EQ(model.named_parameters()["dec4.weight"].sizes(), (std::vector<int64_t>{32, 1, 4, 4}));
}

TEST(ConvVae, LargerImagesDoubleTheCanvasWithAStride2LayerAtEachEnd) {
  struct Case {
    ImageShape image;
    int64_t canvas;
    int extra_layers;  // down_k and up_k each
  };
  for (const Case& c : {Case{{3, 64, 64}, 64, 1}, Case{{1, 33, 20}, 64, 1}, Case{{3, 100, 80}, 128, 2}}) {
    ConvVae model({ModelKind::kConv, c.image, 2});
    EXPECT_EQ(model.canvas().height, c.canvas);
    EXPECT_EQ(model.canvas().width, c.canvas);
    const auto x = pad_to_canvas(torch::rand({2, c.image.channels, c.image.height, c.image.width}), model.canvas());
    const auto pass = forward_with_noise(model, x, torch::zeros({2, 2}), Pass::kAutograd);
    EXPECT_EQ(pass.logits.sizes(), (std::vector<int64_t>{2, c.image.channels, c.canvas, c.canvas}));
    const auto names = parameter_names(model);
    for (int k = 1; k <= 2; ++k) {
      const bool expected = k <= c.extra_layers;
      EXPECT_EQ(std::count(names.begin(), names.end(), "down" + std::to_string(k) + ".weight"), expected ? 1 : 0);
      EXPECT_EQ(std::count(names.begin(), names.end(), "up" + std::to_string(k) + ".weight"), expected ? 1 : 0);
    }
  }
  EXPECT_THROW(ConvVae({ModelKind::kConv, {1, 2048, 16}, 2}), UserError);
}

TEST(MlpVae, WorksOnTheImageItself) {
  MlpVae model({ModelKind::kMlp, {1, 28, 28}, 20});
  EXPECT_EQ(model.canvas().height, 28);
  EXPECT_EQ(parameter_names(model), (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc21.weight", "fc21.bias", "fc22.weight",
                                                               "fc22.bias", "fc3.weight", "fc3.bias", "fc4.weight", "fc4.bias"}));
  const auto pass = forward_with_noise(model, torch::rand({3, 1, 28, 28}), torch::zeros({3, 20}), Pass::kAutograd);
  EXPECT_EQ(pass.logits.sizes(), (std::vector<int64_t>{3, 1, 28, 28}));
}

TEST(Canvas, PadsCentredAndCropsBack) {
  const auto image = torch::rand({2, 1, 28, 28});
  const auto canvas = pad_to_canvas(image, {1, 32, 32});
  EXPECT_NEAR(canvas.sum().item<float>(), image.sum().item<float>(), 1e-3);
  EXPECT_EQ(canvas.index({torch::indexing::Slice(), 0, torch::indexing::Slice(0, 2)}).abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(crop_to_image(canvas, {1, 28, 28}), image));
  EXPECT_TRUE(torch::equal(canvas.index({0, 0, 2, 2}), image.index({0, 0, 0, 0})));
}

}  // namespace
}  // namespace vae
