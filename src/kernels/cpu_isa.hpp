#pragma once
// The vector instruction set the fast path plans for: oneDNN's effective one, which is this CPU's
// unless ONEDNN_MAX_CPU_ISA holds it lower (ONEDNN_MAX_CPU_ISA=AVX2 on an AVX-512 core shows what
// an AVX2 core's plans and kernels do). Plans choose layouts and kernels by it, never by timing.
#include <string>

namespace vae::fast {

enum class VectorIsa { kOlder, kAvx2, kAvx512 };

VectorIsa vector_isa();
// oneDNN's name for it, e.g. "avx512_core_bf16", "avx2".
std::string vector_isa_name();

}  // namespace vae::fast
