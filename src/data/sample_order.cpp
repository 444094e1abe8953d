#include "vae/sample_order.hpp"

#include <string>

#include "vae/error.hpp"

namespace vae {

SampleOrder::SampleOrder(int64_t rows, int64_t global_batch, Remainder remainder)
    : rows_(rows), global_batch_(global_batch), remainder_(remainder) {
  require(global_batch > 0, "the global batch must be positive, got " + std::to_string(global_batch));
  require(rows >= global_batch, "the training split has " + std::to_string(rows) + " rows, fewer than one global batch of " +
                                    std::to_string(global_batch) + ": use a smaller --batch-size or --global-batch-size");
}

int64_t SampleOrder::steps_per_epoch() const {
  const int64_t whole = rows_ / global_batch_;
  return remainder_ == Remainder::kDrop || rows_ % global_batch_ == 0 ? whole : whole + 1;
}

int64_t SampleOrder::samples_in_step(int64_t step) const {
  return step < rows_ / global_batch_ ? global_batch_ : rows_ % global_batch_;
}

RowRange SampleOrder::lane_rows(int64_t lane) const { return {lane * rows_ / global_batch_, (lane + 1) * rows_ / global_batch_}; }

RowRange SampleOrder::rows_of(LaneRange lanes) const { return {lane_rows(lanes.begin).begin, lane_rows(lanes.end - 1).end}; }

LaneRange lanes_of_rank(const SampleOrder& order, int world_size, int rank) {
  const int64_t lanes = order.global_batch();
  require(world_size <= lanes, "a global batch of " + std::to_string(lanes) + " spreads over at most " + std::to_string(lanes) +
                                   " ranks (one sample each), not " + std::to_string(world_size) +
                                   ": use fewer ranks or a larger --global-batch-size");
  return {lanes * rank / world_size, lanes * (rank + 1) / world_size};
}

int64_t global_batch_of(const TrainConfig& config, int world_size) {
  return config.global_batch_size > 0 ? config.global_batch_size : config.batch_size * world_size;
}

}  // namespace vae
