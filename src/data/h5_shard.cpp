#include "vae/h5_shard.hpp"

#include <array>

#include "h5_handle.hpp"
#include "vae/error.hpp"

namespace vae {
namespace {

using h5::check;
using h5::Handle;

// Reads rows [rows.begin, rows.end) of the dataset `name` whose trailing dims are `tail`.
template <typename T>
void read_rows(hid_t file, const std::string& name, RowRange rows, const std::array<hsize_t, 3>& tail, int rank, hid_t mem_type,
               T* out, const std::string& path) {
  Handle dataset(check(H5Dopen2(file, name.c_str(), H5P_DEFAULT), path, "dataset open"), H5Dclose);
  Handle file_space(check(H5Dget_space(dataset.get()), path, "dataspace"), H5Sclose);
  std::array<hsize_t, 4> start{static_cast<hsize_t>(rows.begin), 0, 0, 0};
  std::array<hsize_t, 4> count{static_cast<hsize_t>(rows.size()), tail[0], tail[1], tail[2]};
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), path, "hyperslab");
  Handle mem_space(check(H5Screate_simple(rank, count.data(), nullptr), path, "dataspace"), H5Sclose);
  check(H5Dread(dataset.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out), path, "read");
}

}  // namespace

ImageSet read_shard(const DatasetInfo& info, Split split, RowRange rows) {
  require(rows.begin >= 0 && rows.end <= info.rows(split) && rows.size() > 0,
          info.path + ": row range outside the " + split_name(split) + " split");
  Handle file = h5::open_read_only(info.path);
  ImageSet set;
  set.count = rows.size();
  set.channels = info.channels;
  set.height = info.height;
  set.width = info.width;
  set.pixels.resize(static_cast<size_t>(set.count * set.image_size()));
  const std::string group = std::string("/") + split_name(split);
  const std::array<hsize_t, 3> image_dims{static_cast<hsize_t>(info.channels), static_cast<hsize_t>(info.height),
                                          static_cast<hsize_t>(info.width)};
  read_rows(file.get(), group + "/images", rows, image_dims, 4, H5T_NATIVE_UINT8, set.pixels.data(), info.path);
  if (info.has_labels) {
    set.labels.resize(static_cast<size_t>(set.count));
    read_rows(file.get(), group + "/labels", rows, {1, 1, 1}, 1, H5T_NATIVE_INT64, set.labels.data(), info.path);
  }
  return set;
}

}  // namespace vae
