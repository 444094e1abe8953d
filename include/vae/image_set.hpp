#pragma once
// ImageSet: images as uint8 N×C×H×W plus optional labels, the unit every dataset tool and the
// HDF5 layer trade in. No torch here, so the converter and generator stay light.
#include <cstdint>
#include <string>
#include <vector>

namespace vae {

struct ImageSet {
  int64_t count = 0, channels = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;  // count*channels*height*width, row-major N×C×H×W
  std::vector<int64_t> labels;  // empty, or one per image

  int64_t image_size() const { return channels * height * width; }
};

// A whole dataset as the HDF5 schema holds it (datasets/SCHEMA.md).
struct DatasetContent {
  std::string name;    // e.g. "fashion-mnist"
  std::string source;  // where it came from, for people reading the file
  ImageSet train, test;
};

}  // namespace vae
