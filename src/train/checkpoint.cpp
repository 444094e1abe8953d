#include "vae/checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "vae/atomic_file.hpp"
#include "vae/fused_adam.hpp"
#include "vae/metrics_log.hpp"
#include "vae/run_dir.hpp"
#include "vae/tensor_hash.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStateKey = "_vae_state";
constexpr const char* kPrefix = "epoch_";
constexpr const char* kSuffix = ".pt";

// Everything but the weights, as the JSON stored in the file.
std::string metadata_json(const CheckpointState& state) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& m : state.history) history.push_back(nlohmann::json::parse(to_json_line(m)));
  return nlohmann::json{{"format", 1},
                        {"epoch", state.epoch},
                        {"step", state.step},
                        {"partial_epoch", {{"steps", state.partial.steps}, {"loss", state.partial.loss}, {"kl", state.partial.kl},
                                           {"images", state.partial.images}, {"seconds", state.partial.seconds}}},
                        {"config", nlohmann::json::parse(state.config_json)},
                        {"dataset", {{"path", state.dataset_path}, {"fingerprint", std::to_string(state.dataset_fingerprint)}}},
                        {"history", history}}
      .dump();
}

CheckpointState parse_metadata(const std::string& text, const std::string& path) {
  try {
    const auto json = nlohmann::json::parse(text);
    CheckpointState state;
    state.epoch = json.at("epoch");
    state.step = json.at("step");
    if (json.contains("partial_epoch")) {  // checkpoints from before preemption support end epochs
      const auto& partial = json.at("partial_epoch");
      state.partial = {partial.at("steps"), partial.at("loss"), partial.at("kl"), partial.at("images"), partial.at("seconds")};
    }
    state.config_json = json.at("config").dump();
    state.dataset_path = json.at("dataset").at("path");
    state.dataset_fingerprint = std::stoull(json.at("dataset").at("fingerprint").get<std::string>());
    for (const auto& line : json.at("history")) state.history.push_back(metrics_from_json_line(line.dump()));
    return state;
  } catch (const std::exception&) {
    throw CorruptCheckpoint(path + ": damaged metadata");
  }
}

torch::Tensor bytes_tensor(const std::string& text) {
  return torch::from_blob(const_cast<char*>(text.data()), {static_cast<int64_t>(text.size())}, torch::kUInt8).clone();
}

std::string tensor_bytes(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return {reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), static_cast<size_t>(c.numel())};
}

torch::Tensor int64_tensor(int64_t value) { return torch::full({1}, value, torch::kInt64); }

// A checkpoint as read back, before verification.
struct Loaded {
  torch::serialize::InputArchive archive;
  std::string metadata;
  uint64_t stored_checksum = 0;
  std::vector<torch::Tensor> adam;  // exp_avg, exp_avg_sq, step per parameter, in parameter order
};

Loaded open_archive(const std::string& path, const torch::Device& device) {
  require(fs::is_regular_file(path), path + ": no such checkpoint");
  Loaded loaded;
  torch::serialize::InputArchive state;
  torch::Tensor meta, stored, count;
  try {
    loaded.archive.load_from(path, device);
    if (!loaded.archive.try_read(kStateKey, state)) throw CorruptCheckpoint(path + ": not a vae_dist checkpoint");
    state.read("metadata", meta, true);
    state.read("checksum", stored, true);
    state.read("adam_entries", count, true);
    for (int64_t i = 0; i < count.item<int64_t>(); ++i) {
      torch::Tensor t;
      state.read("adam." + std::to_string(i), t, true);
      loaded.adam.push_back(t);
    }
  } catch (const CorruptCheckpoint&) {
    throw;
  } catch (const std::exception&) {
    throw CorruptCheckpoint(path + ": unreadable checkpoint (truncated, damaged or not a checkpoint)");
  }
  loaded.metadata = tensor_bytes(meta.to(torch::kCPU));
  loaded.stored_checksum = static_cast<uint64_t>(stored.item<int64_t>());
  return loaded;
}

// Loads the weights into `model` and checks the checksum over them, the Adam state and metadata.
void load_verified(const std::string& path, Loaded& loaded, VaeModel& model) {
  try {
    model.load(loaded.archive);
  } catch (const std::exception&) {
    throw CorruptCheckpoint(path + ": its weights do not fit the model its configuration describes");
  }
  std::vector<torch::Tensor> hashed = model.parameters();
  hashed.insert(hashed.end(), loaded.adam.begin(), loaded.adam.end());
  if (hash_tensors(hashed, loaded.metadata) != loaded.stored_checksum)
    throw CorruptCheckpoint(path + ": checksum mismatch (the file is damaged)");
}

}  // namespace

CheckpointSnapshot snapshot_checkpoint(VaeModel& model, torch::optim::Adam& optimizer, CheckpointState state) {
  CheckpointSnapshot snapshot{copy_to_cpu(model), {}, std::move(state)};
  for (const auto& p : model.parameters()) {
    const auto found = optimizer.state().find(adam_key(p));
    TORCH_INTERNAL_ASSERT(found != optimizer.state().end(), "checkpoint before the first optimizer step");
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*found->second);
    snapshot.adam.push_back(s.exp_avg().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true));
    snapshot.adam.push_back(s.exp_avg_sq().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true));
    snapshot.adam.push_back(int64_tensor(s.step()));
  }
  return snapshot;
}

void save_checkpoint(const std::string& path, VaeModel& model, torch::optim::Adam& optimizer, const CheckpointState& state) {
  write_checkpoint(path, snapshot_checkpoint(model, optimizer, state));
}

void write_checkpoint(const std::string& path, const CheckpointSnapshot& snapshot) {
  VaeModel& model = *snapshot.model;
  const std::vector<torch::Tensor>& adam = snapshot.adam;
  const std::string metadata = metadata_json(snapshot.state);
  std::vector<torch::Tensor> hashed = model.parameters();
  hashed.insert(hashed.end(), adam.begin(), adam.end());

  torch::serialize::OutputArchive archive;
  model.save(archive);
  torch::serialize::OutputArchive state_archive;
  state_archive.write("metadata", bytes_tensor(metadata), true);
  state_archive.write("checksum", int64_tensor(static_cast<int64_t>(hash_tensors(hashed, metadata))), true);
  state_archive.write("adam_entries", int64_tensor(static_cast<int64_t>(adam.size())), true);
  for (size_t i = 0; i < adam.size(); ++i) state_archive.write("adam." + std::to_string(i), adam[i], true);
  archive.write(kStateKey, state_archive);

  // Serialised in memory first: LibTorch's file writer aborts the process when a write fails
  // (an exception from a destructor), so the disk is only touched by write_file_atomically.
  std::vector<uint8_t> bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    const auto* begin = static_cast<const uint8_t*>(data);
    bytes.insert(bytes.end(), begin, begin + size);
    return size;
  });
  fs::create_directories(fs::path(path).parent_path());
  write_file_atomically(path, bytes);
}

CheckpointState load_checkpoint(const std::string& path, VaeModel& model, torch::optim::Adam* optimizer) {
  const auto device = model.parameters().front().device();
  Loaded loaded = open_archive(path, device);
  CheckpointState state = parse_metadata(loaded.metadata, path);
  load_verified(path, loaded, model);
  if (!optimizer) return state;
  const auto params = model.parameters();
  if (loaded.adam.size() != 3 * params.size()) throw CorruptCheckpoint(path + ": the optimizer state does not match the model");
  for (size_t k = 0; k < params.size(); ++k) {
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->exp_avg(loaded.adam[3 * k].to(device).clone());
    s->exp_avg_sq(loaded.adam[3 * k + 1].to(device).clone());
    s->step(loaded.adam[3 * k + 2].item<int64_t>());
    optimizer->state()[adam_key(params[k])] = std::move(s);
  }
  return state;
}

LoadedModel load_model_from_checkpoint(const std::string& path, Kernels kernels) {
  Loaded loaded = open_archive(path, torch::kCPU);
  LoadedModel result{parse_metadata(loaded.metadata, path), nullptr};
  try {
    ModelSpec spec = model_spec_of(result.state);
    spec.kernels = kernels;
    result.model = make_model(spec);
  } catch (const std::exception&) {
    throw CorruptCheckpoint(path + ": damaged metadata (no usable model configuration)");
  }
  load_verified(path, loaded, *result.model);
  return result;
}

CheckpointState read_checkpoint_state(const std::string& path) { return load_model_from_checkpoint(path).state; }

ModelSpec model_spec_of(const CheckpointState& state) {
  const auto config = nlohmann::json::parse(state.config_json);
  const auto& image = config.at("image");
  return {config.at("model") == "mlp" ? ModelKind::kMlp : ModelKind::kConv,
          {image.at("channels"), image.at("height"), image.at("width")},
          config.at("latent_dim")};
}

std::string checkpoint_path(const std::string& run_dir, CheckpointPosition position) {
  const fs::path dir = fs::path(run_dir) / "checkpoints";
  if (position.step == 0) return (dir / epoch_file_name(position.epoch, "pt")).string();
  char name[64];
  std::snprintf(name, sizeof(name), "%s%04d_step_%06lld%s", kPrefix, position.epoch + 1, static_cast<long long>(position.step), kSuffix);
  return (dir / name).string();
}

std::string checkpoint_path(const std::string& run_dir, int epoch) { return checkpoint_path(run_dir, CheckpointPosition{epoch, 0}); }

CheckpointPosition checkpoint_position(const std::string& path) {
  const std::string stem = fs::path(path).stem().string();
  int epoch = 0;
  long long step = 0;
  char tail = 0;
  if (std::sscanf(stem.c_str(), "epoch_%d_step_%lld%c", &epoch, &step, &tail) == 2 && epoch > 0 && step > 0) return {epoch - 1, step};
  if (std::sscanf(stem.c_str(), "epoch_%d%c", &epoch, &tail) == 1 && epoch >= 0) return {epoch, 0};
  return {-1, 0};
}

std::vector<std::string> list_checkpoints(const std::string& run_dir) {
  std::vector<std::string> found;
  const fs::path dir = fs::path(run_dir) / "checkpoints";
  if (!fs::is_directory(dir)) return found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == kSuffix && checkpoint_position(entry.path().string()).epoch >= 0) found.push_back(entry.path().string());
  }
  std::sort(found.begin(), found.end(),
            [](const std::string& a, const std::string& b) { return checkpoint_position(b) < checkpoint_position(a); });  // newest first
  return found;
}

size_t damaged_checkpoints(const std::string& run_dir) {
  size_t count = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(run_dir) / "checkpoints", error))
    count += entry.path().extension() == kDamagedSuffix ? 1 : 0;
  return count;
}

void prune_checkpoints(const std::string& run_dir, int keep) {
  const auto all = list_checkpoints(run_dir);
  for (size_t i = static_cast<size_t>(std::max(keep, 0)); i < all.size(); ++i) fs::remove(all[i]);
}

}  // namespace vae
