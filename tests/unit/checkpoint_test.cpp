#include "vae/checkpoint.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "temporaries.hpp"
#include "test_support.hpp"
#include "vae/conv_vae.hpp"
#include "vae/objective.hpp"
#include "vae/trainer.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

struct Trained {
  std::shared_ptr<VaeModel> model;
  std::unique_ptr<torch::optim::Adam> adam;
};

// A small model after `steps` Adam steps on random data.
Trained trained_model(int steps, uint64_t seed) {
  torch::manual_seed(seed);
  Trained t{std::make_shared<ConvVae>(ModelSpec{ModelKind::kConv, {1, 28, 28}, 2}), nullptr};
  t.adam = std::make_unique<torch::optim::Adam>(t.model->parameters(), torch::optim::AdamOptions(1e-3));
  for (int i = 0; i < steps; ++i) {
    t.adam->zero_grad();
    negative_elbo(*t.model, torch::rand({4, 1, 32, 32}), torch::randn({4, 2}), Pass::kAutograd).per_image(1.0).mean().backward();
    t.adam->step();
  }
  return t;
}

CheckpointState some_state() {
  CheckpointState state;
  state.epoch = 4;
  state.step = 123;
  state.config_json = R"({"model":"conv","latent_dim":2,"image":{"channels":1,"height":28,"width":28},"seed":1})";
  state.dataset_path = "/data/x.h5";
  state.dataset_fingerprint = 0xfedcba9876543210ULL;
  EpochMetrics m;
  m.epoch = 4;
  m.test_loss = 250.5;
  m.test_iw_nll = 240.25;
  state.history = {m};
  return state;
}

void expect_same_adam(torch::optim::Adam& a, torch::optim::Adam& b, const std::vector<torch::Tensor>& pa, const std::vector<torch::Tensor>& pb) {
  for (size_t k = 0; k < pa.size(); ++k) {
    const auto& sa = static_cast<torch::optim::AdamParamState&>(*a.state().at(c10::guts::to_string(pa[k].unsafeGetTensorImpl())));
    const auto& sb = static_cast<torch::optim::AdamParamState&>(*b.state().at(c10::guts::to_string(pb[k].unsafeGetTensorImpl())));
    EXPECT_EQ(sa.step(), sb.step());
    EXPECT_TRUE(torch::equal(sa.exp_avg(), sb.exp_avg())) << "exp_avg of parameter " << k;
    EXPECT_TRUE(torch::equal(sa.exp_avg_sq(), sb.exp_avg_sq())) << "exp_avg_sq of parameter " << k;
  }
}

void expect_same_parameters(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(torch::equal(a[k], b[k])) << "parameter " << k;
}

TEST(Checkpoint, RoundTripsWeightsAdamStateAndMetadata) {
  testing::TempDir dir;
  Trained original = trained_model(3, 1);
  const std::string path = dir.file("run/checkpoints/epoch_0004.pt");
  save_checkpoint(path, *original.model, *original.adam, some_state());

  Trained fresh = trained_model(0, 2);
  const CheckpointState state = load_checkpoint(path, *fresh.model, fresh.adam.get());
  expect_same_parameters(original.model->parameters(), fresh.model->parameters());
  expect_same_adam(*original.adam, *fresh.adam, original.model->parameters(), fresh.model->parameters());
  EXPECT_EQ(state.epoch, 4);
  EXPECT_EQ(state.step, 123);
  EXPECT_EQ(state.dataset_fingerprint, 0xfedcba9876543210ULL);
  ASSERT_EQ(state.history.size(), 1u);
  EXPECT_EQ(state.history[0].test_iw_nll, 240.25);
  EXPECT_EQ(model_spec_of(state).latent_dim, 2);
  EXPECT_TRUE(testing::temporaries_in(fs::path(path).parent_path()).empty());
  EXPECT_EQ(list_checkpoints(dir.file("run")), std::vector<std::string>{path});
}

TEST(Checkpoint, DamagedOrTruncatedFilesAreRejected) {
  testing::TempDir dir;
  Trained t = trained_model(1, 1);
  const std::string path = dir.file("epoch_0001.pt");
  save_checkpoint(path, *t.model, *t.adam, some_state());
  const auto size = fs::file_size(path);

  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Flip bytes inside the stored weights (the middle of the archive) and cut the file short.
  std::string flipped = bytes;
  for (size_t i = size / 2; i < size / 2 + 64; ++i) flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
  std::ofstream(dir.file("flipped.pt"), std::ios::binary) << flipped;
  std::ofstream(dir.file("truncated.pt"), std::ios::binary) << bytes.substr(0, size / 3);
  std::ofstream(dir.file("text.pt")) << "not a checkpoint";
  // The metadata is stored uncompressed: damage a key of its JSON.
  std::string metadata = bytes;
  const size_t key = metadata.find("\"history\"");
  ASSERT_NE(key, std::string::npos);
  metadata[key + 3] = 'x';
  std::ofstream(dir.file("metadata.pt"), std::ios::binary) << metadata;
  for (const char* name : {"flipped.pt", "truncated.pt", "text.pt", "metadata.pt"}) {
    Trained fresh = trained_model(0, 2);
    EXPECT_THROW(load_checkpoint(dir.file(name), *fresh.model, fresh.adam.get()), CorruptCheckpoint) << name;
    EXPECT_THROW(read_checkpoint_state(dir.file(name)), CorruptCheckpoint) << name;
  }
}

TEST(Checkpoint, AFullDiskFailsCleanlyAndKeepsTheEarlierCheckpoint) {
  testing::TempDir dir;
  Trained t = trained_model(1, 1);
  const std::string run = dir.path().string();
  save_checkpoint(checkpoint_path(run, 1), *t.model, *t.adam, some_state());
  const auto size = fs::file_size(checkpoint_path(run, 1));
  {
    const testing::FileSizeLimit full(size / 2);
    try {
      save_checkpoint(checkpoint_path(run, 2), *t.model, *t.adam, some_state());
      FAIL() << "a checkpoint larger than the space left was written";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(checkpoint_path(run, 2)), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(list_checkpoints(run), std::vector<std::string>{checkpoint_path(run, 1)});
  EXPECT_TRUE(testing::temporaries_in(fs::path(run) / "checkpoints").empty());
  Trained fresh = trained_model(0, 2);
  EXPECT_NO_THROW(load_checkpoint(checkpoint_path(run, 1), *fresh.model, fresh.adam.get()));
}

TEST(Checkpoint, PruneKeepsTheNewest) {
  testing::TempDir dir;
  Trained t = trained_model(1, 1);
  for (int epoch = 1; epoch <= 5; ++epoch) save_checkpoint(checkpoint_path(dir.path().string(), epoch), *t.model, *t.adam, some_state());
  prune_checkpoints(dir.path().string(), 2);
  EXPECT_EQ(list_checkpoints(dir.path().string()),
            (std::vector<std::string>{checkpoint_path(dir.path().string(), 5), checkpoint_path(dir.path().string(), 4)}));
}

TEST(Checkpoint, MidEpochNamesSortBetweenTheEpochEndsAroundThem) {
  testing::TempDir dir;
  const std::string run = dir.path().string();
  const std::string end_of_1 = checkpoint_path(run, 1), in_2 = checkpoint_path(run, CheckpointPosition{1, 117}),
                    later_in_2 = checkpoint_path(run, CheckpointPosition{1, 1200}), end_of_2 = checkpoint_path(run, 2);
  EXPECT_EQ(fs::path(in_2).filename(), "epoch_0002_step_000117.pt");
  EXPECT_EQ(checkpoint_position(in_2).epoch, 1);
  EXPECT_EQ(checkpoint_position(in_2).step, 117);
  EXPECT_EQ(checkpoint_position(end_of_2).epoch, 2);
  EXPECT_EQ(checkpoint_position(end_of_2).step, 0);
  EXPECT_EQ(checkpoint_position(run + "/checkpoints/notes.pt").epoch, -1);
  fs::create_directories(run + "/checkpoints");
  for (const auto& path : {end_of_2, in_2, end_of_1, later_in_2}) std::ofstream(path) << "x";
  std::ofstream(run + "/checkpoints/epoch_0003.pt.damaged") << "x";
  EXPECT_EQ(list_checkpoints(run), (std::vector<std::string>{end_of_2, later_in_2, in_2, end_of_1}));  // newest first
}

TEST(Checkpoint, LoadsInPythonAsTheSeedModel) {
  testing::TempDir dir;
  Trained t = trained_model(1, 1);
  save_checkpoint(dir.file("epoch_0001.pt"), *t.model, *t.adam, some_state());
  const std::string command = std::string("cd ") + VAE_SOURCE_DIR + "/tests/oracle && /usr/bin/python3 checkpoint_loads.py " +
                              dir.file("epoch_0001.pt") + " 2";
  int status = 0;
  const std::string output = testing::run_command(command, status);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("24 parameters load into the seed's ConvVAE"), std::string::npos) << output;
}

// --- resume through the real training loop ---

TrainConfig small_run(const std::string& data, const std::string& out, int epochs) {
  TrainConfig config;
  config.data_path = data;
  config.out_dir = out;
  config.epochs = epochs;
  config.latent_dim = 2;
  config.threads = 1;
  config.iw_every = 2;
  config.iw_samples = 5;
  config.iw_subset = 40;
  return config;
}

struct FinalState {
  Trained trained;
  CheckpointState state;
};

FinalState load_final(const std::string& run_dir, int epoch) {
  FinalState f{trained_model(0, 9), {}};
  f.state = load_checkpoint(checkpoint_path(run_dir, epoch), *f.trained.model, f.trained.adam.get());
  return f;
}

class Resume : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.file("synthetic.h5");
    testing::write_synthetic(data_, 300, 60);
    run_training(testing::runtime(), small_run(data_, dir_.file("straight"), 3));
  }
  testing::TempDir dir_;
  std::string data_;
};

TEST_F(Resume, StoppedAndResumedGivesBitwiseTheSameWeightsAndAdamState) {
  const std::string resumed = dir_.file("resumed");
  run_training(testing::runtime(), small_run(data_, resumed, 2));
  TrainConfig more = small_run(data_, resumed, 3);
  more.resume = "auto";
  more.given = {"epochs", "resume", "out"};  // as on the command line: --resume auto --epochs 3
  more.latent_dim = 16;                       // not given: the checkpoint's 2 must win
  run_training(testing::runtime(), more);

  FinalState a = load_final(dir_.file("straight"), 3), b = load_final(resumed, 3);
  expect_same_parameters(a.trained.model->parameters(), b.trained.model->parameters());
  expect_same_adam(*a.trained.adam, *b.trained.adam, a.trained.model->parameters(), b.trained.model->parameters());
  EXPECT_EQ(a.state.step, b.state.step);
  ASSERT_EQ(b.state.history.size(), 3u);
  EXPECT_EQ(a.state.history[2].test_loss, b.state.history[2].test_loss);
}

TEST_F(Resume, ADamagedNewestCheckpointFallsBackToThePreviousOne) {
  const std::string run = dir_.file("damaged");
  run_training(testing::runtime(), small_run(data_, run, 2));
  std::ofstream(checkpoint_path(run, 2), std::ios::binary | std::ios::trunc) << "half a checkpoint";
  TrainConfig more = small_run(data_, run, 3);
  more.resume = "auto";
  more.given = {"epochs"};
  ::testing::internal::CaptureStderr();
  run_training(testing::runtime(), more);
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(warnings.find(checkpoint_path(run, 2)), std::string::npos) << "the damaged file is reported: " << warnings;
  // Resumed after epoch 1, it retrains epochs 2 and 3: the result equals the uninterrupted run.
  FinalState a = load_final(dir_.file("straight"), 3), b = load_final(run, 3);
  expect_same_parameters(a.trained.model->parameters(), b.trained.model->parameters());
}

TEST_F(Resume, AnotherModelShapeOrRunFolderIsRefused) {
  TrainConfig other = small_run(data_, dir_.file("straight"), 4);
  other.resume = "auto";
  other.latent_dim = 3;
  other.given = {"latent-dim"};
  try {
    run_training(testing::runtime(), other);
    FAIL() << "resumed a latent-2 checkpoint into a latent-3 model";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("pass the flags it was trained with"), std::string::npos) << e.what();
  }
  // Resuming from an older checkpoint while newer ones exist: refused, nothing deleted.
  TrainConfig older = small_run(data_, dir_.file("straight"), 3);
  older.resume = checkpoint_path(dir_.file("straight"), 2);
  const auto kept = list_checkpoints(dir_.file("straight"));
  try {
    run_training(testing::runtime(), older);
    FAIL() << "resumed from epoch 2 over a run that reached epoch 3";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("is newer than"), std::string::npos) << e.what();
  }
  EXPECT_EQ(list_checkpoints(dir_.file("straight")), kept);
  // Not resuming into a folder that holds a run: refused, and its checkpoints survive.
  const auto before = list_checkpoints(dir_.file("straight"));
  EXPECT_THROW(run_training(testing::runtime(), small_run(data_, dir_.file("straight"), 1)), UserError);
  EXPECT_EQ(list_checkpoints(dir_.file("straight")), before);
  TrainConfig forced = small_run(data_, dir_.file("straight"), 1);
  forced.force = true;
  run_training(testing::runtime(), forced);
  EXPECT_EQ(list_checkpoints(dir_.file("straight")), std::vector<std::string>{checkpoint_path(dir_.file("straight"), 1)});
}

}  // namespace
}  // namespace vae
