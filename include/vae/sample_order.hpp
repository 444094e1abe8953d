#pragma once
// SampleOrder: which training rows make each global step, for any number of ranks. Pure: no I/O,
// no MPI.
//
// Note [Lanes]: the training split's N rows are cut into as many *lanes* as the global batch B,
// lane j being the contiguous rows [⌊jN/B⌋, ⌊(j+1)N/B⌋) (⌊N/B⌋ or ⌈N/B⌉ of them). Each epoch every
// lane draws a permutation of its rows from (seed, epoch, lane), and global step s takes the s-th
// row of each lane's permutation: one sample per lane. Nothing in that rule mentions ranks, so the
// sequence of global batches depends only on (seed, epoch, B, N), and a run can stop on one rank
// count and go on with another. Ranks own contiguous runs of whole lanes, so each still reads only
// a contiguous part of the file, and their sample counts per step differ by at most one.
//
// A batch is a stratified sample (one row from each 1/B of the file) rather than B rows drawn
// from anywhere: every row is still seen once per epoch, in a fresh order.
#include <cstdint>

#include "vae/config.hpp"
#include "vae/shard_plan.hpp"

namespace vae {

// A contiguous run of lanes: [begin, end).
struct LaneRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

class SampleOrder {
 public:
  SampleOrder() = default;  // no rows
  // Throws UserError when the split is smaller than one global batch.
  SampleOrder(int64_t rows, int64_t global_batch, Remainder remainder);

  int64_t rows() const { return rows_; }
  int64_t global_batch() const { return global_batch_; }
  // ⌈N/B⌉ with Remainder::kPartial (the last step takes N mod B samples, from the longer lanes),
  // ⌊N/B⌋ with kDrop (each longer lane leaves one row out, a different one each epoch).
  int64_t steps_per_epoch() const;
  // Samples of global step `step`, summed over every lane.
  int64_t samples_in_step(int64_t step) const;
  RowRange lane_rows(int64_t lane) const;
  // The rows of lanes [lanes.begin, lanes.end): one contiguous range.
  RowRange rows_of(LaneRange lanes) const;

 private:
  int64_t rows_ = 0, global_batch_ = 1;
  Remainder remainder_ = Remainder::kPartial;
};

// The lanes rank `rank` of `world_size` owns: ⌊B/W⌋ or ⌈B/W⌉ of them, contiguous. Throws UserError
// when there are more ranks than lanes.
LaneRange lanes_of_rank(const SampleOrder& order, int world_size, int rank);

// The run's global batch: --global-batch-size, or --batch-size × ranks when it is not set.
int64_t global_batch_of(const TrainConfig& config, int world_size);

}  // namespace vae
