#pragma once
// Contiguous row ranges of a split, one per rank (the test split; training rows follow the lanes
// of sample_order.hpp). Pure: no I/O, no MPI.
#include <cstdint>

namespace vae {

struct RowRange {
  int64_t begin = 0;  // first row owned
  int64_t end = 0;    // one past the last row owned
  int64_t size() const { return end - begin; }
};

// The rows rank `rank` of `world_size` owns among `num_rows`: sizes differ by at most one.
RowRange shard_rows(int64_t num_rows, int world_size, int rank);

}  // namespace vae
