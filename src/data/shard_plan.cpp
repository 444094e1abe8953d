#include "vae/shard_plan.hpp"

#include <string>

#include "vae/error.hpp"

namespace vae {

RowRange shard_rows(int64_t num_rows, int world_size, int rank) {
  require(world_size > 0 && rank >= 0 && rank < world_size, "shard_rows: rank out of range");
  // rank r owns [floor(r*N/W), floor((r+1)*N/W)): sizes differ by at most one row.
  return RowRange{num_rows * rank / world_size, num_rows * (rank + 1) / world_size};
}

ShardPlan plan_shard(int64_t num_rows, int world_size, int rank, int64_t batch, Remainder remainder) {
  require(batch > 0, "the batch size must be positive, got " + std::to_string(batch));
  require(num_rows >= world_size, "the training split has " + std::to_string(num_rows) + " rows, fewer than the " +
                                      std::to_string(world_size) + " ranks: use fewer ranks or a larger dataset");
  ShardPlan plan;
  plan.rows = shard_rows(num_rows, world_size, rank);
  plan.batch = batch;
  const int64_t smallest = num_rows / world_size;
  const int64_t largest = smallest + (num_rows % world_size != 0 ? 1 : 0);
  if (remainder == Remainder::kDrop) {
    plan.steps_per_epoch = smallest / batch;
    require(plan.steps_per_epoch > 0, "each rank holds " + std::to_string(smallest) + " training rows, fewer than one batch of " +
                                          std::to_string(batch) + ": use --remainder wrap, a smaller --batch-size, or fewer ranks");
  } else {
    plan.steps_per_epoch = (largest + batch - 1) / batch;
  }
  return plan;
}

int64_t per_rank_batch(int64_t batch_size, int64_t global_batch_size, int world_size) {
  if (global_batch_size <= 0) return batch_size;
  require(global_batch_size % world_size == 0,
          "--global-batch-size " + std::to_string(global_batch_size) + " does not divide among " + std::to_string(world_size) +
              " ranks: pick a multiple of " + std::to_string(world_size));
  return global_batch_size / world_size;
}

}  // namespace vae
