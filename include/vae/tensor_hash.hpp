#pragma once
// A 64-bit XXH3 hash over the bytes of tensors (copied to the host when needed) and optional
// extra bytes: the replica check and the checkpoint checksum share it.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vae {

uint64_t hash_tensors(const std::vector<torch::Tensor>& tensors, const std::string& extra = "");

}  // namespace vae
