#pragma once
// The HDF5 dataset schema (DESIGN §5), its writer and its validator.
//
//   /            attributes name, source (strings), channels, height, width (int64)
//   /train       images: uint8 N×C×H×W, chunked along N; labels: int64 N (optional)
//   /test        the same
//
// Every reader goes through read_dataset_info first, so a wrong file is rejected before any rank
// trains, with a message that names the file and what is wrong.
#include <cstdint>
#include <string>

#include "vae/image_set.hpp"

namespace vae {

enum class Split { kTrain, kTest };
const char* split_name(Split split);

struct DatasetInfo {
  std::string path, name, source;
  int64_t channels = 0, height = 0, width = 0;
  int64_t train_rows = 0, test_rows = 0;
  bool has_labels = false;      // both splits carry labels
  int64_t chunk_rows = 0;       // rows per chunk of /train/images (0: contiguous storage)

  int64_t rows(Split split) const { return split == Split::kTrain ? train_rows : test_rows; }
};

// Opens `path` read-only and validates the whole schema. Throws UserError on any mismatch.
DatasetInfo read_dataset_info(const std::string& path);

// Writes `content` to `path` atomically (a temporary name, fsync, rename): on any failure nothing
// is left at `path` and an existing file there is untouched.
void write_dataset(const std::string& path, const DatasetContent& content);

}  // namespace vae
