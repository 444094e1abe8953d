#pragma once
// ShardPlan: which rows of a split a rank owns and how many steps every rank runs. Pure: no I/O,
// no MPI, so that a change of sharding policy is a change of this one component.
//
// Rows are split into `world_size` contiguous ranges whose sizes differ by at most one. Every
// rank runs the *same* number of steps per epoch, or the gradient all-reduces would deadlock.
#include <cstdint>

#include "vae/config.hpp"

namespace vae {

struct RowRange {
  int64_t begin = 0;  // first row owned
  int64_t end = 0;    // one past the last row owned
  int64_t size() const { return end - begin; }
};

struct ShardPlan {
  RowRange rows;            // this rank's rows of the split
  int64_t batch = 0;        // samples per step on this rank
  int64_t steps_per_epoch = 0;
};

// The rows rank `rank` of `world_size` owns among `num_rows` (used for the test split too).
RowRange shard_rows(int64_t num_rows, int world_size, int rank);

// The plan for training. Throws UserError when the split is too small for the world or batch.
ShardPlan plan_shard(int64_t num_rows, int world_size, int rank, int64_t batch, Remainder remainder);

// The per-rank batch: `batch_size`, or `global_batch_size / world_size` when the latter is set
// (then it must divide evenly). Throws UserError otherwise.
int64_t per_rank_batch(int64_t batch_size, int64_t global_batch_size, int world_size);

}  // namespace vae
