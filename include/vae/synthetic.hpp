#pragma once
// A small, deterministic, learnable dataset for tests and demos: grey shapes (square, disc, ring,
// bar, cross, triangle) of random size, position and brightness on black, labelled by shape.
#include <cstdint>

#include "vae/image_set.hpp"

namespace vae {

struct SyntheticSpec {
  int64_t train_count = 2000;
  int64_t test_count = 500;
  int64_t size = 28;        // images are size×size, one channel
  uint64_t seed = 7;
};

inline constexpr int kSyntheticClasses = 6;

// The same spec always gives the same bytes.
DatasetContent make_synthetic(const SyntheticSpec& spec);

}  // namespace vae
