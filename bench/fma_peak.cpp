#include "fma_peak.hpp"

#include <chrono>

#include "cpu_isa.hpp"

namespace vae::bench {
namespace {

// 12 chains: two FMA units with a latency of 4–5 cycles keep at most 10 in flight.
constexpr int kChains = 12;
constexpr long kRounds = 20'000'000;

template <int kLanes>
struct VectorOf;  // GCC takes no vector_size that depends on a template parameter
template <>
struct VectorOf<16> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VectorOf<8> {
  typedef float type __attribute__((vector_size(32)));
};

// Seconds for kRounds rounds of kChains vector multiply-adds of kLanes floats. Written with GCC's
// vector types, and compiled with -ffp-contract=fast (CMakeLists.txt), so that `chain * scale +
// shift` is one FMA instruction; inlined into a caller with the target that sets its width.
template <int kLanes>
[[gnu::always_inline]] inline double seconds_of_chains() {
  using Vector = typename VectorOf<kLanes>::type;
  Vector chains[kChains];
  float scale_value = 0.999f, shift_value = 0.001f;
  asm("" : "+x"(scale_value), "+x"(shift_value));  // unknown to the compiler, so it folds no chain (1 would be a fixed point)
  const Vector scale = Vector{} + scale_value, shift = Vector{} + shift_value;
  for (int c = 0; c < kChains; ++c) chains[c] = Vector{} + static_cast<float>(c);
  const auto start = std::chrono::steady_clock::now();
  for (long r = 0; r < kRounds; ++r) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) chains[c] = chains[c] * scale + shift;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  float sink = 0;  // the chains' results are used, so the loop is not optimised away
  for (int c = 0; c < kChains; ++c) sink += chains[c][0];
  asm volatile("" : : "x"(sink));
  return seconds;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) double seconds_avx512() { return seconds_of_chains<16>(); }
__attribute__((target("avx2,fma"))) double seconds_avx2() { return seconds_of_chains<8>(); }
#endif

double gflops(int lanes, double seconds) { return 2.0 * lanes * kChains * static_cast<double>(kRounds) / seconds / 1e9; }

}  // namespace

double fma_peak_gflops() {
#if defined(__x86_64__) && defined(__GNUC__)
  switch (fast::vector_isa()) {
    case fast::VectorIsa::kAvx512: return gflops(16, seconds_avx512());
    case fast::VectorIsa::kAvx2: return gflops(8, seconds_avx2());
    case fast::VectorIsa::kOlder: break;
  }
#endif
  return 0;
}

}  // namespace vae::bench
