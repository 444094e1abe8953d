#pragma once
// Reader for the IDX format of MNIST, Fashion-MNIST and KMNIST (gzipped or raw; zlib reads both).
// Every function throws UserError naming the file when it is missing, truncated, padded or of the
// wrong kind.
#include <string>

#include "vae/image_set.hpp"

namespace vae {

// Images (magic 0x00000803: unsigned bytes, 3 dimensions) as a one-channel ImageSet, no labels.
ImageSet read_idx_images(const std::string& path);

// Labels (magic 0x00000801: unsigned bytes, 1 dimension).
std::vector<int64_t> read_idx_labels(const std::string& path);

// Reads train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-… from `dir` and checks
// that image and label counts agree.
DatasetContent read_idx_dataset(const std::string& dir, const std::string& name);

}  // namespace vae
