#pragma once
// H5Shard: reads one rank's rows of a split, and nothing else (a hyperslab of /<split>/images).
#include <string>

#include "vae/h5_dataset.hpp"
#include "vae/image_set.hpp"
#include "vae/shard_plan.hpp"

namespace vae {

// Reads rows [rows.begin, rows.end) of `split` (images, and labels when the file has them).
// `info` must come from read_dataset_info on the same path.
ImageSet read_shard(const DatasetInfo& info, Split split, RowRange rows);

}  // namespace vae
