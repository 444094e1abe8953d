#include "vae/loader.hpp"

#include <numeric>
#include <random>

#include "vae/error.hpp"
#include "vae/seeds.hpp"

namespace vae {

std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch, int rank) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 engine(derive_seed({static_cast<uint64_t>(Stream::kShuffle), seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(rank)}));
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

Loader::Loader(ImageSet shard, Options options) : shard_(std::move(shard)), options_(std::move(options)) {
  require(shard_.count > 0, "the loader needs at least one row");
  pixels_ = pixels_as_tensor(shard_);
  start_epoch(0);
}

void Loader::start_epoch(int64_t epoch) {
  if (options_.shuffle == Shuffle::kOn) {
    order_ = epoch_permutation(shard_.count, options_.seed, epoch, options_.rank);
  } else {
    order_.resize(static_cast<size_t>(shard_.count));
    std::iota(order_.begin(), order_.end(), 0);
  }
}

std::vector<int64_t> Loader::rows_of_step(int64_t step) const {
  const int64_t b = options_.plan.batch;
  std::vector<int64_t> rows(static_cast<size_t>(b));
  for (int64_t i = 0; i < b; ++i) rows[static_cast<size_t>(i)] = order_[static_cast<size_t>((step * b + i) % shard_.count)];
  return rows;
}

torch::Tensor Loader::batch(int64_t step) const {
  auto rows = rows_of_step(step);
  const auto index = torch::from_blob(rows.data(), {static_cast<int64_t>(rows.size())}, torch::kInt64);
  return to_model_input(pixels_.index_select(0, index), options_.canvas, options_.device);
}

}  // namespace vae
