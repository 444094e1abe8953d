#include "vae/communicator.hpp"

namespace vae {

std::unique_ptr<Communicator> make_communicator(const Runtime& runtime, int cuda_device, bool ranks_share_gpu) {
  const bool nccl_here = cuda_device >= 0 && !ranks_share_gpu && nccl_available();
  // Every rank must pick the same back end: NCCL only when all of them can.
  const bool nccl_everywhere = runtime.allreduce_max(nccl_here ? 0.0 : 1.0) == 0.0;
  if (nccl_everywhere) return make_nccl_communicator(runtime, cuda_device);
  return make_mpi_communicator(runtime);
}

}  // namespace vae
