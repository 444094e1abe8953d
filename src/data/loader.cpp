#include "vae/loader.hpp"

#include <numeric>
#include <random>

#include "vae/error.hpp"
#include "vae/seeds.hpp"

namespace vae {

std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch, int64_t lane) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 engine(derive_seed({static_cast<uint64_t>(Stream::kShuffle), seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(lane)}));
  // Fisher–Yates by hand: std::shuffle's algorithm is not fixed by the standard.
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(engine() % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

torch::Tensor to_model_input(const torch::Tensor& images_u8, const ImageShape& canvas, const torch::Device& device) {
  auto x = images_u8.to(device, torch::kFloat32).div_(255.0);
  return pad_to_canvas(x, canvas);
}

torch::Tensor pixels_as_tensor(ImageSet& set) {
  return torch::from_blob(set.pixels.data(), {set.count, set.channels, set.height, set.width}, torch::kUInt8);
}

Loader::Loader(ImageSet shard, Options options)
    : shard_(std::move(shard)), options_(std::move(options)), first_row_(options_.order.rows_of(options_.lanes).begin) {
  require(options_.lanes.size() > 0 && shard_.count == options_.order.rows_of(options_.lanes).size(),
          "the loader's shard must hold exactly the rows of its lanes");
  pixels_ = pixels_as_tensor(shard_);
  order_.resize(static_cast<size_t>(shard_.count));
  start_epoch(0);
}

void Loader::start_epoch(int64_t epoch) {
  for (int64_t lane = options_.lanes.begin; lane < options_.lanes.end; ++lane) {
    const RowRange rows = options_.order.lane_rows(lane);
    const int64_t first = rows.begin - first_row_;
    std::vector<int64_t> permutation(static_cast<size_t>(rows.size()));
    if (options_.shuffle == Shuffle::kOn) permutation = epoch_permutation(rows.size(), options_.seed, epoch, lane);
    else std::iota(permutation.begin(), permutation.end(), 0);
    for (int64_t k = 0; k < rows.size(); ++k) order_[static_cast<size_t>(first + k)] = first + permutation[static_cast<size_t>(k)];
  }
}

StepBatch Loader::step(int64_t step) const {
  StepBatch batch;
  std::vector<int64_t> local;
  for (int64_t lane = options_.lanes.begin; lane < options_.lanes.end; ++lane) {
    const RowRange rows = options_.order.lane_rows(lane);
    if (step >= rows.size()) continue;  // a shorter lane sits out the partial last step
    local.push_back(order_[static_cast<size_t>(rows.begin - first_row_ + step)]);
    batch.rows.push_back(first_row_ + local.back());
    batch.lanes.push_back(lane);
  }
  const auto index = torch::tensor(local, torch::kInt64);
  batch.images = to_model_input(pixels_.index_select(0, index), options_.canvas, options_.device);
  return batch;
}

}  // namespace vae
