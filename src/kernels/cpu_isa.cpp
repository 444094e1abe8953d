#include "cpu_isa.hpp"

#include <dnnl.hpp>

namespace vae::fast {

VectorIsa vector_isa() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  if ((isa & static_cast<unsigned>(dnnl::cpu_isa::avx512_core)) == static_cast<unsigned>(dnnl::cpu_isa::avx512_core)) return VectorIsa::kAvx512;
  if ((isa & static_cast<unsigned>(dnnl::cpu_isa::avx2)) == static_cast<unsigned>(dnnl::cpu_isa::avx2)) return VectorIsa::kAvx2;
  return VectorIsa::kOlder;
}

std::string vector_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::sse41: return "sse41";
    default: return "another";
  }
}

}  // namespace vae::fast
