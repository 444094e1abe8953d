#pragma once
// HDF5 datasets: the schema vae_data writes (datasets/SCHEMA.md), and the files people already
// have, which read_dataset_info describes before any rank trains.
//
//   /            attributes name, source (strings), channels, height, width (int64): optional,
//                checked against the shape when present; name defaults to the file's stem
//   /train       images: N×C×H×W, N×H×W×C or N×H×W; uint8 0–255 or float32/float64 in [0, 1];
//                any chunking or filter HDF5 decodes (gzip). labels: integer, N (optional)
//   /test        the same (other dataset names: DatasetKeys)
//
// A wrong file is rejected before training with a message that names the file and what is wrong.
#include <cstdint>
#include <string>
#include <vector>

#include "vae/image_set.hpp"

namespace vae {

enum class Split { kTrain, kTest };
const char* split_name(Split split);

enum class PixelType { kUint8, kFloat32, kFloat64 };
const char* pixel_type_name(PixelType type);

// How the axes after N are laid out. kAuto (a request only): N×H×W for 3-D; for 4-D channels
// last when the last axis is 1, 3 or 4 and the second is not, else channels first.
enum class Layout { kAuto, kChannelsFirst, kChannelsLast, kNoChannelAxis };
const char* layout_name(Layout layout);  // "N×C×H×W", "N×H×W×C", "N×H×W"
// The --layout values: auto, nchw, nhwc, nhw.
const char* layout_flag(Layout layout);
std::vector<std::string> layout_flags();
Layout layout_from_flag(const std::string& flag);  // throws UserError on another word
// --test-fraction f as DatasetKeys::test_every: round(1/f); throws UserError outside (0, 0.5].
int64_t test_every_from_fraction(double fraction);

// Where a file keeps its images, and how to read an ambiguous 4-D shape.
struct DatasetKeys {
  std::string train = "/train/images";
  std::string test = "/test/images";
  Layout layout = Layout::kAuto;
  // Nonzero: the file has no test split; every `test_every`-th row of the train images is the
  // test split (rows k−1, 2k−1, …), the others train. From --test-fraction f: k = round(1/f).
  int64_t test_every = 0;
};

// One split as stored: its images dataset, the labels next to it, and how to convert it.
struct SplitSource {
  std::string images, labels;  // labels: "" when the split has none
  PixelType pixel_type = PixelType::kUint8;
  Layout layout = Layout::kChannelsFirst;
  int64_t rows = 0;
  int64_t chunk_rows = 0;        // rows per chunk (0: contiguous storage)
  std::string filters;           // e.g. "gzip" ("" when none)
  // A split cut from `images` by DatasetKeys::test_every = k: the test part is file rows k−1,
  // 2k−1, …; the train part every other row. 0: the split is `images` whole.
  int64_t every = 0;
  bool test_part = false;

  // The file row of the split's row `row`.
  int64_t file_row(int64_t row) const {
    if (every == 0) return row;
    return test_part ? row * every + every - 1 : row + row / (every - 1);
  }
};

struct DatasetInfo {
  std::string path, name, source;
  int64_t channels = 0, height = 0, width = 0;
  int64_t train_rows = 0, test_rows = 0;
  bool has_labels = false;      // both splits carry labels
  int64_t chunk_rows = 0;       // rows per chunk of the training images (0: contiguous storage)
  bool has_root_attributes = true;  // false: shape and name taken from the images and the file name
  SplitSource train, test;

  int64_t rows(Split split) const { return split == Split::kTrain ? train_rows : test_rows; }
  const SplitSource& source_of(Split split) const { return split == Split::kTrain ? train : test; }
};

// Opens `path` read-only and validates what training reads. Throws UserError on any mismatch.
DatasetInfo read_dataset_info(const std::string& path, const DatasetKeys& keys = {});

// Writes `content` to `path` atomically (a temporary name, fsync, rename): on any failure nothing
// is left at `path` and an existing file there is untouched.
void write_dataset(const std::string& path, const DatasetContent& content);

}  // namespace vae
