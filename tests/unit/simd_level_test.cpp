// ONEDNN_MAX_CPU_ISA holds vae_dist's own vector loops as it holds oneDNN's (simd_clones.hpp).
#include "vae/simd_clones.hpp"

#include <gtest/gtest.h>

namespace vae {
namespace {

TEST(SimdLevel, FollowsOneDnnsIsaLimit) {
  EXPECT_EQ(simd_level_allowed(nullptr), SimdLevel::kAvx512);
  EXPECT_EQ(simd_level_allowed("ALL"), SimdLevel::kAvx512);
  EXPECT_EQ(simd_level_allowed("AVX512_CORE_BF16"), SimdLevel::kAvx512);
  EXPECT_EQ(simd_level_allowed("AVX2"), SimdLevel::kAvx2);
  EXPECT_EQ(simd_level_allowed("avx2_vnni"), SimdLevel::kAvx2);
  EXPECT_EQ(simd_level_allowed("AVX"), SimdLevel::kBaseline);
  EXPECT_EQ(simd_level_allowed("SSE41"), SimdLevel::kBaseline);
}

}  // namespace
}  // namespace vae
