#include "vae/tensor_hash.hpp"

#include <xxhash.h>

#include <memory>

namespace vae {

uint64_t hash_tensors(const std::vector<torch::Tensor>& tensors, const std::string& extra) {
  const std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), XXH3_freeState);
  XXH3_64bits_reset(state.get());
  for (const auto& t : tensors) {
    const auto host = t.detach().to(torch::kCPU).contiguous();
    XXH3_64bits_update(state.get(), host.data_ptr(), static_cast<size_t>(host.nbytes()));
  }
  XXH3_64bits_update(state.get(), extra.data(), extra.size());
  return XXH3_64bits_digest(state.get());
}

}  // namespace vae
