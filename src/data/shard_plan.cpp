#include "vae/shard_plan.hpp"

#include "vae/error.hpp"

namespace vae {

RowRange shard_rows(int64_t num_rows, int world_size, int rank) {
  require(world_size > 0 && rank >= 0 && rank < world_size, "shard_rows: rank out of range");
  // rank r owns [floor(r*N/W), floor((r+1)*N/W)): sizes differ by at most one row.
  return RowRange{num_rows * rank / world_size, num_rows * (rank + 1) / world_size};
}

}  // namespace vae
