// A whole run under mpiexec on the synthetic set: every artifact of the run folder, a resumed
// run bitwise equal to an uninterrupted one, and `evaluate` / `sample` on its checkpoint.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "vae/checkpoint.hpp"
#include "vae/evaluate_command.hpp"
#include "vae/gif_writer.hpp"
#include "vae/png_io.hpp"
#include "vae/trainer.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

const Runtime& rt() { return testing::runtime(); }

// A folder and a dataset shared by the whole job (rank 0 makes them).
class SharedRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (rt().is_root()) {
      dir_ = std::make_unique<testing::TempDir>();
      root_ = dir_->path().string();
      testing::write_synthetic(root_ + "/data.h5", 400, 100);
    }
    rt().broadcast(root_, 0);
    rt().barrier();
  }
  void TearDown() override { rt().barrier(); }

  TrainConfig config(const std::string& run, int epochs) const {
    TrainConfig c;
    c.data_path = root_ + "/data.h5";
    c.out_dir = root_ + "/" + run;
    c.epochs = epochs;
    c.latent_dim = 2;
    c.threads = 1;
    c.iw_every = 1;
    c.iw_samples = 10;
    c.iw_subset = 50;
    return c;
  }

  std::unique_ptr<testing::TempDir> dir_;
  std::string root_;
};

std::vector<torch::Tensor> final_weights(const std::string& run, int epoch) {
  auto model = make_model({ModelKind::kConv, {1, 28, 28}, 2});
  load_checkpoint(checkpoint_path(run, epoch), *model, nullptr);
  return model->parameters();
}

TEST_F(SharedRun, ProducesEveryArtifactResumesExactlyAndEvaluates) {
  run_training(rt(), config("straight", 3));

  TrainConfig first = config("resumed", 2);
  run_training(rt(), first);
  TrainConfig rest = config("resumed", 3);
  rest.resume = "auto";
  rest.given = {"epochs"};
  run_training(rt(), rest);

  if (rt().is_root()) {
    const std::string run = root_ + "/straight";
    for (const char* file : {"config.json", "metrics.jsonl", "generated_images.gif", "loss.png", "latent_manifold.png", "latent_scatter.png",
                             "samples/epoch_0003.png", "reconstructions/epoch_0003.png", "checkpoints/epoch_0003.pt"})
      EXPECT_TRUE(fs::is_regular_file(run + "/" + file)) << file;
    std::ifstream metrics(run + "/metrics.jsonl");
    int lines = 0;
    for (std::string line; std::getline(metrics, line); ++lines) {
      const auto m = nlohmann::json::parse(line);
      EXPECT_EQ(m["world_size"], rt().world_size());
      EXPECT_GT(m["test_iw_nll"].get<double>(), 0.0);
      EXPECT_LT(m["test_iw_nll"].get<double>(), m["test_loss"].get<double>() + 1.0) << "IW-NLL is the tighter bound";
    }
    EXPECT_EQ(lines, 3);
    const auto frames = read_gif(run + "/generated_images.gif");
    ASSERT_EQ(frames.size(), 3u);
    const Image samples = read_png(run + "/samples/epoch_0003.png");
    EXPECT_EQ(frames.back().pixels, samples.pixels) << "the last frame is the last samples grid (grey frames are exact)";
    EXPECT_EQ(samples.width, 8 * (28 + 2) + 2);
    EXPECT_EQ(read_gif(root_ + "/resumed/generated_images.gif").size(), 3u) << "the resumed run continues its animation";

    const auto a = final_weights(run, 3), b = final_weights(root_ + "/resumed", 3);
    for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(torch::equal(a[k], b[k])) << "parameter " << k;
  }

  EvaluateConfig evaluate;
  evaluate.checkpoint = checkpoint_path(root_ + "/straight", 3);
  evaluate.num_samples = 10;
  evaluate.iw_samples = 10;
  evaluate.iw_subset = 50;
  run_evaluate(rt(), evaluate);
  SampleConfig sample;
  sample.checkpoint = evaluate.checkpoint;
  sample.num_samples = 16;
  run_sample(rt(), sample);
  if (rt().is_root()) {
    std::ifstream in(root_ + "/straight/evaluation/evaluation.json");
    const auto result = nlohmann::json::parse(in);
    std::ifstream metrics(root_ + "/straight/metrics.jsonl");
    std::string last, line;
    while (std::getline(metrics, line)) last = line;
    // evaluate repeats the test loss training printed: same weights, same noise, every test row.
    EXPECT_NEAR(-result["test_elbo"].get<double>(), nlohmann::json::parse(last)["test_loss"].get<double>(), 1e-3);
    EXPECT_EQ(result["test_images"], 100);
    EXPECT_EQ(read_png(root_ + "/straight/evaluation/samples.png").width, 8 * 30 + 2);
    EXPECT_TRUE(fs::is_regular_file(root_ + "/straight/evaluation/reconstructions.png"));
    EXPECT_TRUE(fs::is_regular_file(root_ + "/straight/samples_from_epoch_0003/samples.png"));
    EXPECT_TRUE(fs::is_regular_file(root_ + "/straight/samples_from_epoch_0003/latent_manifold.png"));
  }
}

}  // namespace
}  // namespace vae
