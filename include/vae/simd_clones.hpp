#pragma once
// Hot element-wise loops compiled three times, for x86-64-v4 (AVX-512), x86-64-v3 (AVX2, FMA) and
// the baseline the build targets, with the one to run chosen once per process: the widest this
// CPU has, held no wider than ONEDNN_MAX_CPU_ISA allows, as oneDNN's kernels are (so
// ONEDNN_MAX_CPU_ISA=AVX2 on an AVX-512 core runs what an AVX2 core runs, ours and oneDNN's).
// Vector code without building for one machine only. A loop is written once:
//   VAE_SIMD_BODY void scale_body(int64_t n, float* x) { for (…) x[i] *= 2; }
//   VAE_SIMD_VARIANTS(scale, (int64_t n, float* x), (n, x))   // defines scale(n, x)
// (the body is inlined into each variant, so it is compiled for that variant's instructions).
#include <cctype>
#include <cstdlib>
#include <string>

namespace vae {

enum class SimdLevel { kBaseline, kAvx2, kAvx512 };

// The widest level ONEDNN_MAX_CPU_ISA (oneDNN's names: SSE41, AVX, AVX2, AVX2_VNNI, AVX512_CORE…,
// ALL) allows; unset or unknown: no limit.
inline SimdLevel simd_level_allowed(const char* max_isa) {
  if (max_isa == nullptr) return SimdLevel::kAvx512;
  std::string isa(max_isa);
  for (char& c : isa) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (isa == "SSE41" || isa == "AVX") return SimdLevel::kBaseline;
  if (isa.rfind("AVX2", 0) == 0) return SimdLevel::kAvx2;
  return SimdLevel::kAvx512;
}

inline SimdLevel simd_level() {
  static const SimdLevel level = [] {
    SimdLevel cpu = SimdLevel::kBaseline;
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) {
      cpu = SimdLevel::kAvx512;
    } else if (__builtin_cpu_supports("x86-64-v3")) {
      cpu = SimdLevel::kAvx2;
    }
#endif
    const SimdLevel allowed = simd_level_allowed(std::getenv("ONEDNN_MAX_CPU_ISA"));
    return cpu < allowed ? cpu : allowed;
  }();
  return level;
}

inline std::string simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512: return "AVX-512 (x86-64-v4)";
    case SimdLevel::kAvx2: return "AVX2 + FMA (x86-64-v3)";
    case SimdLevel::kBaseline: break;
  }
  return "baseline x86-64";
}

}  // namespace vae

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VAE_SIMD_BODY [[gnu::always_inline]] inline
#define VAE_SIMD_VARIANTS(name, params, arguments)                         \
  [[gnu::target("arch=x86-64-v4")]] void name##_avx512 params { name##_body arguments; } \
  [[gnu::target("arch=x86-64-v3")]] void name##_avx2 params { name##_body arguments; }   \
  void name params {                                                       \
    switch (::vae::simd_level()) {                                         \
      case ::vae::SimdLevel::kAvx512: return name##_avx512 arguments;      \
      case ::vae::SimdLevel::kAvx2: return name##_avx2 arguments;          \
      case ::vae::SimdLevel::kBaseline: break;                             \
    }                                                                      \
    name##_body arguments;                                                 \
  }
#else
#define VAE_SIMD_BODY inline
#define VAE_SIMD_VARIANTS(name, params, arguments) \
  void name params { name##_body arguments; }
#endif
