#pragma once
// What this build of vae_dist is and has, for `vae_dist --version` and for bug reports.
#include <string>

namespace vae {

// Lines: the version and commit; LibTorch; oneDNN and the instruction set of its kernels here;
// MPI; whether the NCCL communicator is built; CUDA devices; the SIMD level of vae_dist's own
// loops chosen at run time on this CPU.
std::string version_text();

// oneDNN's version and the instruction set its kernels use on this CPU (src/kernels).
std::string onednn_text();

}  // namespace vae
