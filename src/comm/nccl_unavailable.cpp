// Built when CUDA or NCCL is missing: the MPI communicator serves every device.
#include <stdexcept>

#include "vae/communicator.hpp"

namespace vae {

bool nccl_available() { return false; }

std::unique_ptr<Communicator> make_nccl_communicator(const Runtime&, int) {
  throw std::runtime_error("this vae_dist was built without NCCL (configure with CUDA and NCCL to use it)");
}

}  // namespace vae
