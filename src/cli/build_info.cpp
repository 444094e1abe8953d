#include "vae/build_info.hpp"

#include <mpi.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <sstream>

#include "vae/communicator.hpp"
#include "vae/simd_clones.hpp"
#include "vae/commit_id.hpp"  // generated at every build (cmake/commit_id.cmake)

namespace vae {
namespace {

std::string mpi_library() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  const std::string whole(text, static_cast<size_t>(length));
  return whole.substr(0, whole.find_first_of("\n,"));
}

std::string cuda_devices() {
  const auto devices = torch::cuda::device_count();
  return devices > 0 ? "yes, " + std::to_string(devices) + " device(s)" : "no device (or a CPU-only LibTorch)";
}

}  // namespace

std::string version_text() {
  std::ostringstream text;
  text << "vae_dist " << VAE_VERSION << " (commit " << VAE_COMMIT << ")\n"
       << "  LibTorch  " << TORCH_VERSION << "\n"
       << "  oneDNN    " << onednn_text() << "\n"
       << "  MPI       " << mpi_library() << "\n"
       << "  NCCL      " << (nccl_available() ? "yes (the GPU communicator is built)" : "no (built without CUDA and NCCL)") << "\n"
       << "  CUDA      " << cuda_devices() << "\n"
       << "  SIMD      " << simd_level_name(simd_level()) << " for vae_dist's own loops on this CPU";
  return text.str();
}

}  // namespace vae
