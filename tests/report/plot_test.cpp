#include "vae/plot.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "temp_dir_test.hpp"
#include "vae/error.hpp"
#include "vae/png_io.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

class Plot : public TempDirTest {};

int64_t non_white_pixels(const Image& image) {
  int64_t count = 0;
  for (size_t i = 0; i < image.pixels.size(); i += 3)
    count += image.pixels[i] != 255 || image.pixels[i + 1] != 255 || image.pixels[i + 2] != 255;
  return count;
}

// Pixels within `tolerance` of `rgb` on every channel (antialiased edges blend into the white).
int64_t pixels_near(const Image& image, std::array<int, 3> rgb, int tolerance = 12) {
  int64_t count = 0;
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    bool near = true;
    for (int c = 0; c < 3; ++c) near = near && std::abs(image.pixels[i + c] - rgb[c]) <= tolerance;
    count += near;
  }
  return count;
}

constexpr std::array<int, 3> kBlue = {31, 119, 180}, kOrange = {255, 127, 14}, kGrey = {127, 127, 127};

Image read_plot(const std::string& path) {
  const Image image = read_png(path);
  EXPECT_EQ(image.height, kPlotHeight);
  EXPECT_EQ(image.width, kPlotWidth);
  EXPECT_EQ(image.channels, 3);
  EXPECT_TRUE(temporaries_in(fs::path(path).parent_path()).empty());
  return image;
}

TEST_F(Plot, LossCurvesDrawBothSeries) {
  std::vector<double> epochs, train, test;
  for (int e = 1; e <= 20; ++e) {
    epochs.push_back(e);
    train.push_back(300.0 + 200.0 / e);
    test.push_back(310.0 + 190.0 / e);
  }
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  plot_loss_curves(file("loss.png"), epochs, train, test);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");  // PLplot stays quiet
  const Image image = read_plot(file("loss.png"));
  EXPECT_GT(non_white_pixels(image), 5000);
  EXPECT_GT(pixels_near(image, kBlue), 200);    // train
  EXPECT_GT(pixels_near(image, kOrange), 200);  // test
}

TEST_F(Plot, LossCurvesCopeWithOneEpochAndMissingTestLosses) {
  plot_loss_curves(file("one.png"), {1}, {512.5}, {520.0});
  EXPECT_GT(pixels_near(read_plot(file("one.png")), kBlue), 10);
  plot_loss_curves(file("gaps.png"), {1, 2, 3}, {400, 350, NAN}, {NAN, 360, INFINITY});
  EXPECT_GT(pixels_near(read_plot(file("gaps.png")), kOrange), 10);
}

TEST_F(Plot, LossCurvesRejectBadInputAndWriteNothing) {
  EXPECT_THROW(plot_loss_curves(file("a.png"), {1, 2}, {1, 2}, {1}), UserError);
  EXPECT_THROW(plot_loss_curves(file("a.png"), {}, {}, {}), UserError);
  EXPECT_THROW(plot_loss_curves(file("missing/a.png"), {1}, {1}, {1}), UserError);
  EXPECT_FALSE(fs::exists(file("a.png")));
  EXPECT_FALSE(fs::exists(file("missing")));
}

TEST_F(Plot, LinePlotDrawsEverySeriesInItsOwnColour) {
  // The scaling plot's shape: four efficiencies against the rank count, one above 1.
  const LinePlot plot{"Scaling efficiency", "ranks", "efficiency", {1, 2, 4},
                      {{"strong_train", {1, 0.9, 0.8}}, {"strong_process", {1, 0.92, 0.85}}, {"weak_train", {1, 0.97, 0.95}},
                       {"weak_process", {1, 1.55, NAN}}},
                      true};
  plot_lines(file("scaling.png"), plot);
  const Image image = read_plot(file("scaling.png"));
  EXPECT_GT(pixels_near(image, kBlue), 100);
  EXPECT_GT(pixels_near(image, kOrange), 100);
  EXPECT_GT(pixels_near(image, {44, 160, 44}), 100);  // the third series
  EXPECT_GT(pixels_near(image, {214, 39, 40}), 100);  // the fourth, above 1
  EXPECT_THROW(plot_lines(file("bad.png"), LinePlot{"t", "x", "y", {1, 2}, {{"short", {1}}}, false}), UserError);
  EXPECT_FALSE(fs::exists(file("bad.png")));
}

TEST_F(Plot, LatentScatterColoursPointsByLabel) {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.4f);
  std::vector<float> x, y;
  std::vector<int64_t> labels;
  for (int i = 0; i < 10000; ++i) {
    const int64_t label = i % 10;
    const double angle = 2 * M_PI * static_cast<double>(label) / 10;
    x.push_back(3 * static_cast<float>(std::cos(angle)) + noise(rng));
    y.push_back(3 * static_cast<float>(std::sin(angle)) + noise(rng));
    labels.push_back(label);
  }
  ::testing::internal::CaptureStdout();
  plot_latent_scatter(file("latent.png"), x, y, labels);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  const Image image = read_plot(file("latent.png"));
  EXPECT_GT(non_white_pixels(image), 20000);
  for (const auto& colour : {kBlue, kOrange, kGrey}) EXPECT_GT(pixels_near(image, colour), 100);  // classes 0, 1, 7
}

TEST_F(Plot, LatentScatterWithoutLabelsUsesOneColour) {
  plot_latent_scatter(file("plain.png"), {0.0f, 1.0f, 2.0f, NAN}, {0.0f, -1.0f, 0.5f, 1.0f}, {});
  const Image image = read_plot(file("plain.png"));
  EXPECT_GT(pixels_near(image, kBlue), 10);
  EXPECT_EQ(pixels_near(image, kOrange), 0);
  plot_latent_scatter(file("nothing.png"), {NAN}, {1.0f}, {3});  // no finite point: axes only
  EXPECT_GT(non_white_pixels(read_plot(file("nothing.png"))), 1000);
}

TEST_F(Plot, CallsFromSeveralThreadsEachGetTheirOwnPicture) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([this, t] {
      const double scale = t + 1;
      plot_loss_curves(file("loss" + std::to_string(t) + ".png"), {1, 2, 3}, {3 * scale, 2 * scale, scale},
                       {4 * scale, 3 * scale, 2 * scale});
    });
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_GT(pixels_near(read_plot(file("loss" + std::to_string(t) + ".png")), kBlue), 100);
}

TEST_F(Plot, LatentScatterRejectsBadInput) {
  EXPECT_THROW(plot_latent_scatter(file("a.png"), {0.0f, 1.0f}, {0.0f}, {}), UserError);
  EXPECT_THROW(plot_latent_scatter(file("a.png"), {0.0f}, {0.0f}, {10}), UserError);
  EXPECT_THROW(plot_latent_scatter(file("a.png"), {0.0f, 1.0f}, {0.0f, 1.0f}, {1}), UserError);
  EXPECT_FALSE(fs::exists(file("a.png")));
}

}  // namespace
}  // namespace vae
