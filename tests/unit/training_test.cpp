// A short single-process run on the synthetic set, end to end through run_training.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "vae/evaluator.hpp"
#include "vae/h5_dataset.hpp"
#include "vae/h5_shard.hpp"
#include "vae/loader.hpp"
#include "vae/seeds.hpp"
#include "vae/trainer.hpp"

namespace vae {
namespace {

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(Training, BringsTheTestLossWellBelowItsStart) {
  testing::TempDir dir;
  const std::string data = dir.file("synthetic.h5");
  testing::write_synthetic(data, 1200, 300);
  TrainConfig config;
  config.data_path = data;
  config.out_dir = dir.file("run");
  config.epochs = 3;
  config.latent_dim = 8;
  config.threads = 1;

  // The untrained model's test loss, from the same seed the trainer starts from.
  torch::manual_seed(config.seed);
  const DatasetInfo info = read_dataset_info(data);
  auto untrained = make_model({config.model, {info.channels, info.height, info.width}, config.latent_dim});
  ImageSet test = read_shard(info, Split::kTest, {0, info.test_rows});
  const auto noise = test_noise_table(info.test_rows, config.latent_dim, derive_seed({static_cast<uint64_t>(Stream::kTestNoise), config.seed}));
  const ElboSums start = evaluate_elbo(*untrained, pixels_as_tensor(test), 0, noise, 1.0, 100, torch::kCPU);
  const double start_loss = start.loss / start.images;

  run_training(testing::runtime(), config);
  const auto metrics = read_jsonl(dir.file("run/metrics.jsonl"));
  ASSERT_EQ(metrics.size(), 3u);
  for (size_t i = 0; i < metrics.size(); ++i) EXPECT_EQ(metrics[i]["epoch"], i + 1);
  const double final_loss = metrics.back()["test_loss"];
  EXPECT_LT(final_loss, 0.6 * start_loss) << "start " << start_loss << " nats/img, after 3 epochs " << final_loss;
  EXPECT_GT(metrics.back()["images_per_s"].get<double>(), 0.0);
  EXPECT_EQ(metrics.back()["step"], 3 * 19);  // ceil(1200 / 64) steps per epoch
  std::ifstream config_json(dir.file("run/config.json"));
  EXPECT_EQ(nlohmann::json::parse(config_json)["latent_dim"], 8);
}

}  // namespace
}  // namespace vae
