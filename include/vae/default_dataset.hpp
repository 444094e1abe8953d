#pragma once
// The default dataset: Fashion-MNIST from Debian's dataset-fashion-mnist package, converted once
// to HDF5 and cached, so `vae_dist` runs without --data.
#include <string>

namespace vae {

// $VAE_DIST_DATA when set, else $XDG_CACHE_HOME/vae_dist/fashion-mnist.h5 (~/.cache/… by default).
std::string default_dataset_path();

// Converts the IDX files in `idx_dir` (VAE_DEFAULT_IDX_DIR unless given) to `path`, atomically.
// Throws UserError naming the package to install when the IDX files are missing.
void prepare_default_dataset(const std::string& path, const std::string& idx_dir = VAE_DEFAULT_IDX_DIR);

}  // namespace vae
