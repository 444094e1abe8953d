#include "vae/communicator.hpp"

namespace vae {

std::unique_ptr<Communicator> make_communicator(const Runtime& runtime, int cuda_device, bool ranks_share_gpu, CommOptions options) {
  if (cuda_device >= 0 && !ranks_share_gpu && nccl_available()) return make_nccl_communicator(runtime, cuda_device, options);
  return make_mpi_communicator(runtime, options);
}

}  // namespace vae
