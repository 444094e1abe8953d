#pragma once
// The pace one core's vector units set: GFLOP/s of multiply-adds (2 FLOP each) on the widest
// vectors the fast path runs (src/kernels/cpu_isa.hpp: AVX2's under ONEDNN_MAX_CPU_ISA=AVX2), measured on this thread with more independent chains than the FMA units
// can overlap, so neither latency nor memory limits it. 0 where no FMA vectors are known (not x86).
namespace vae::bench {

double fma_peak_gflops();

}  // namespace vae::bench
