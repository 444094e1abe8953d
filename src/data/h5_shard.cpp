#include "vae/h5_shard.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "h5_handle.hpp"
#include "vae/error.hpp"
#include "vae/pixel_levels.hpp"

namespace vae {
namespace {

using h5::check;
using h5::check_read;
using h5::Handle;

constexpr int64_t kBlockBytes = int64_t{4} << 20;  // rows are read and converted ~4 MiB at a time

// Selects the file rows of the split's rows [first, first + count): a block, or for a split cut
// by --test-fraction, every k-th row (test) or a block less every k-th row (train).
void select_rows(hid_t file_space, const SplitSource& split, int64_t first, int64_t count, const std::vector<hsize_t>& row_dims,
                 const std::string& path) {
  std::vector<hsize_t> start(row_dims.size() + 1, 0), extent(row_dims.size() + 1), stride(row_dims.size() + 1, 1),
      block(row_dims.size() + 1, 1);
  std::copy(row_dims.begin(), row_dims.end(), extent.begin() + 1);
  const auto select = [&](H5S_seloper_t op) {
    check(H5Sselect_hyperslab(file_space, op, start.data(), stride.data(), extent.data(), block.data()), path, "hyperslab");
  };
  start[0] = static_cast<hsize_t>(split.file_row(first));
  if (split.every > 0 && split.test_part) {  // rows k−1, 2k−1, …
    stride[0] = static_cast<hsize_t>(split.every);
    extent[0] = static_cast<hsize_t>(count);
    select(H5S_SELECT_SET);
    return;
  }
  const int64_t end = split.file_row(first + count - 1) + 1;
  extent[0] = static_cast<hsize_t>(end - split.file_row(first));
  select(H5S_SELECT_SET);
  if (split.every == 0) return;
  const int64_t k = split.every, first_test = (split.file_row(first) + 1 + k - 1) / k * k - 1;  // the first row ≡ k−1 (mod k) in range
  if (first_test >= end) return;
  start[0] = static_cast<hsize_t>(first_test);
  stride[0] = static_cast<hsize_t>(k);
  extent[0] = static_cast<hsize_t>((end - 1 - first_test) / k + 1);
  select(H5S_SELECT_NOTB);
}

// Reads the split's rows [first, first + count) of a dataset whose per-row extents are `row_dims`.
void read_block(hid_t dataset, const SplitSource& split, int64_t first, int64_t count, const std::vector<hsize_t>& row_dims,
                hid_t mem_type, void* out, const std::string& path) {
  std::vector<hsize_t> extent(row_dims.size() + 1);
  extent[0] = static_cast<hsize_t>(count);
  std::copy(row_dims.begin(), row_dims.end(), extent.begin() + 1);
  Handle file_space(check(H5Dget_space(dataset), path, "dataspace"), H5Sclose);
  select_rows(file_space.get(), split, first, count, row_dims, path);
  Handle mem_space(check(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), path, "dataspace"), H5Sclose);
  check_read(H5Dread(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out), path, "reading rows");
}

}  // namespace

ImageSet read_shard(const DatasetInfo& info, Split split, RowRange rows) {
  require(rows.begin >= 0 && rows.end <= info.rows(split) && rows.size() > 0,
          info.path + ": row range outside the " + split_name(split) + " split");
  const SplitSource& source = info.source_of(split);
  const std::string where = info.path + ": " + source.images;
  Handle file = h5::open_read_only(info.path);
  ImageSet set;
  set.count = rows.size();
  set.channels = info.channels;
  set.height = info.height;
  set.width = info.width;
  set.pixels.resize(static_cast<size_t>(set.count * set.image_size()));
  const std::vector<hsize_t> row_dims =
      source.layout == Layout::kNoChannelAxis ? std::vector<hsize_t>{hsize_t(info.height), hsize_t(info.width)}
      : source.layout == Layout::kChannelsLast ? std::vector<hsize_t>{hsize_t(info.height), hsize_t(info.width), hsize_t(info.channels)}
                                               : std::vector<hsize_t>{hsize_t(info.channels), hsize_t(info.height), hsize_t(info.width)};
  Handle images(check_read(H5Dopen2(file.get(), source.images.c_str(), H5P_DEFAULT), info.path, "opening the images"), H5Dclose);
  const bool is_float = source.pixel_type != PixelType::kUint8;
  const bool as_stored = !is_float && source.layout != Layout::kChannelsLast;  // uint8 channels first: straight into place
  const int64_t block = std::max<int64_t>(1, kBlockBytes / (set.image_size() * (is_float ? 4 : 1)));
  std::vector<uint8_t> stored_levels;
  std::vector<float> stored_floats;
  for (int64_t first = rows.begin; first < rows.end; first += block) {
    const int64_t count = std::min(block, rows.end - first);
    uint8_t* out = set.pixels.data() + (first - rows.begin) * set.image_size();
    if (as_stored) {
      read_block(images.get(), source, first, count, row_dims, H5T_NATIVE_UINT8, out, info.path);
    } else if (is_float) {  // HDF5 converts float64 to float32 as it reads: 8-bit levels need no more
      stored_floats.resize(static_cast<size_t>(count * set.image_size()));
      read_block(images.get(), source, first, count, row_dims, H5T_NATIVE_FLOAT, stored_floats.data(), info.path);
      to_levels(stored_floats.data(), count, set, source.layout, where, [&](int64_t i) { return source.file_row(first + i); }, out);
    } else {
      stored_levels.resize(static_cast<size_t>(count * set.image_size()));
      read_block(images.get(), source, first, count, row_dims, H5T_NATIVE_UINT8, stored_levels.data(), info.path);
      to_levels(stored_levels.data(), count, set, source.layout, out);
    }
  }
  if (info.has_labels) {
    set.labels.resize(static_cast<size_t>(set.count));
    Handle labels(check_read(H5Dopen2(file.get(), source.labels.c_str(), H5P_DEFAULT), info.path, "opening the labels"), H5Dclose);
    read_block(labels.get(), source, rows.begin, set.count, {}, H5T_NATIVE_INT64, set.labels.data(), info.path);
  }
  return set;
}

}  // namespace vae
