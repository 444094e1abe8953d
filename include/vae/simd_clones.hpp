#pragma once
// Marks a hot element-wise loop to be compiled three times, for x86-64-v4 (AVX-512), x86-64-v3
// (AVX2, FMA) and the baseline the build targets, the one this CPU runs chosen when the program
// loads (GCC's function multiversioning): vector code without building for one machine only.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VAE_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VAE_SIMD_CLONES
#endif
