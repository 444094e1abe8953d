#include "vae/h5_dataset.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <vector>

#include "h5_handle.hpp"
#include "vae/atomic_file.hpp"
#include "vae/error.hpp"

namespace vae {
namespace {

using h5::check;
using h5::Handle;

constexpr int64_t kTargetChunkBytes = int64_t{1} << 20;  // ~1 MiB of images per chunk

bool has_link(hid_t loc, const char* name) { return H5Lexists(loc, name, H5P_DEFAULT) > 0; }

std::string read_string_attribute(hid_t loc, const char* name, const std::string& path) {
  require(H5Aexists(loc, name) > 0, path + ": missing root attribute '" + name + "' (see the schema in datasets/SCHEMA.md)");
  Handle attr(check(H5Aopen(loc, name, H5P_DEFAULT), path, "attribute open"), H5Aclose);
  Handle type(check(H5Aget_type(attr.get()), path, "attribute type"), H5Tclose);
  require(H5Tget_class(type.get()) == H5T_STRING, path + ": root attribute '" + name + "' is not a string");
  if (H5Tis_variable_str(type.get()) > 0) {  // h5py writes variable-length strings
    char* value = nullptr;
    Handle mem(check(H5Tcopy(H5T_C_S1), path, "type copy"), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    check(H5Aread(attr.get(), mem.get(), &value), path, "attribute read");
    std::string result = value ? value : "";
    H5free_memory(value);
    return result;
  }
  std::string value(H5Tget_size(type.get()), '\0');
  check(H5Aread(attr.get(), type.get(), value.data()), path, "attribute read");
  value.erase(std::find(value.begin(), value.end(), '\0'), value.end());
  return value;
}

int64_t read_int_attribute(hid_t loc, const char* name, const std::string& path) {
  require(H5Aexists(loc, name) > 0, path + ": missing root attribute '" + name + "' (see the schema in datasets/SCHEMA.md)");
  Handle attr(check(H5Aopen(loc, name, H5P_DEFAULT), path, "attribute open"), H5Aclose);
  Handle type(check(H5Aget_type(attr.get()), path, "attribute type"), H5Tclose);
  require(H5Tget_class(type.get()) == H5T_INTEGER, path + ": root attribute '" + name + "' is not an integer");
  int64_t value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), path, "attribute read");
  return value;
}

struct SplitShape {
  int64_t rows = 0, chunk_rows = 0;
  bool has_labels = false;
};

SplitShape validate_split(hid_t file, const char* split, const DatasetInfo& info) {
  const std::string& path = info.path;
  const std::string where = path + ": /" + split;
  require(has_link(file, split), where + " is missing (the file needs groups /train and /test)");
  const std::string images_name = std::string("/") + split + "/images";
  require(has_link(file, images_name.c_str()), where + "/images is missing");
  Handle images(check(H5Dopen2(file, images_name.c_str(), H5P_DEFAULT), path, "dataset open"), H5Dclose);
  Handle type(check(H5Dget_type(images.get()), path, "dataset type"), H5Tclose);
  require(H5Tget_class(type.get()) == H5T_INTEGER && H5Tget_size(type.get()) == 1 && H5Tget_sign(type.get()) == H5T_SGN_NONE,
          where + "/images must hold uint8 pixels");
  Handle space(check(H5Dget_space(images.get()), path, "dataspace"), H5Sclose);
  require(H5Sget_simple_extent_ndims(space.get()) == 4, where + "/images must be 4-D (N×C×H×W)");
  std::array<hsize_t, 4> dims{};
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  require(static_cast<int64_t>(dims[1]) == info.channels && static_cast<int64_t>(dims[2]) == info.height &&
              static_cast<int64_t>(dims[3]) == info.width,
          where + "/images has shape C×H×W = " + std::to_string(dims[1]) + "×" + std::to_string(dims[2]) + "×" +
              std::to_string(dims[3]) + " but the root attributes say " + std::to_string(info.channels) + "×" +
              std::to_string(info.height) + "×" + std::to_string(info.width));
  require(dims[0] > 0, where + "/images is empty");

  SplitShape shape;
  shape.rows = static_cast<int64_t>(dims[0]);
  Handle dcpl(check(H5Dget_create_plist(images.get()), path, "creation plist"), H5Pclose);
  if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::array<hsize_t, 4> chunk{};
    H5Pget_chunk(dcpl.get(), 4, chunk.data());
    shape.chunk_rows = static_cast<int64_t>(chunk[0]);
  }

  const std::string labels_name = std::string("/") + split + "/labels";
  shape.has_labels = has_link(file, labels_name.c_str());
  if (shape.has_labels) {
    Handle labels(check(H5Dopen2(file, labels_name.c_str(), H5P_DEFAULT), path, "dataset open"), H5Dclose);
    Handle ltype(check(H5Dget_type(labels.get()), path, "dataset type"), H5Tclose);
    Handle lspace(check(H5Dget_space(labels.get()), path, "dataspace"), H5Sclose);
    hsize_t count = 0;
    require(H5Tget_class(ltype.get()) == H5T_INTEGER && H5Sget_simple_extent_ndims(lspace.get()) == 1,
            where + "/labels must be a 1-D integer dataset");
    H5Sget_simple_extent_dims(lspace.get(), &count, nullptr);
    require(static_cast<int64_t>(count) == shape.rows, where + "/labels holds " + std::to_string(count) + " labels for " +
                                                           std::to_string(shape.rows) + " images");
  }
  return shape;
}

void write_string_attribute(hid_t loc, const char* name, const std::string& value, const std::string& path) {
  Handle type(check(H5Tcopy(H5T_C_S1), path, "type copy"), H5Tclose);
  check(H5Tset_size(type.get(), std::max<size_t>(1, value.size())), path, "string size");
  Handle space(check(H5Screate(H5S_SCALAR), path, "dataspace"), H5Sclose);
  Handle attr(check(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), path, "attribute create"), H5Aclose);
  const std::string padded = value.empty() ? std::string(1, '\0') : value;
  check(H5Awrite(attr.get(), type.get(), padded.data()), path, "attribute write");
}

void write_int_attribute(hid_t loc, const char* name, int64_t value, const std::string& path) {
  Handle space(check(H5Screate(H5S_SCALAR), path, "dataspace"), H5Sclose);
  Handle attr(check(H5Acreate2(loc, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), path, "attribute create"),
              H5Aclose);
  check(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), path, "attribute write");
}

void write_split(hid_t file, const char* split, const ImageSet& set, const std::string& path) {
  Handle group(check(H5Gcreate2(file, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path, "group create"), H5Gclose);
  const std::array<hsize_t, 4> dims{static_cast<hsize_t>(set.count), static_cast<hsize_t>(set.channels),
                                    static_cast<hsize_t>(set.height), static_cast<hsize_t>(set.width)};
  const int64_t chunk_rows = std::clamp<int64_t>(kTargetChunkBytes / std::max<int64_t>(1, set.image_size()), 1, set.count);
  const std::array<hsize_t, 4> chunk{static_cast<hsize_t>(chunk_rows), dims[1], dims[2], dims[3]};
  Handle space(check(H5Screate_simple(4, dims.data(), nullptr), path, "dataspace"), H5Sclose);
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), path, "property list"), H5Pclose);
  check(H5Pset_chunk(dcpl.get(), 4, chunk.data()), path, "chunking");
  Handle images(check(H5Dcreate2(group.get(), "images", H5T_STD_U8LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), path,
                      "dataset create"),
                H5Dclose);
  check(H5Dwrite(images.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.pixels.data()), path, "write");
  if (set.labels.empty()) return;
  const hsize_t count = set.labels.size();
  Handle lspace(check(H5Screate_simple(1, &count, nullptr), path, "dataspace"), H5Sclose);
  Handle labels(check(H5Dcreate2(group.get(), "labels", H5T_STD_I64LE, lspace.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path,
                      "dataset create"),
                H5Dclose);
  check(H5Dwrite(labels.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.labels.data()), path, "write");
}

void check_consistent(const ImageSet& set, const char* split, const std::string& path) {
  require(set.count > 0, path + ": refusing to write an empty " + split + " split");
  require(static_cast<int64_t>(set.pixels.size()) == set.count * set.image_size(), path + ": " + split + " pixel count mismatch");
  require(set.labels.empty() || static_cast<int64_t>(set.labels.size()) == set.count, path + ": " + split + " label count mismatch");
}

}  // namespace

const char* split_name(Split split) { return split == Split::kTrain ? "train" : "test"; }

DatasetInfo read_dataset_info(const std::string& path) {
  Handle file = h5::open_read_only(path);
  DatasetInfo info;
  info.path = path;
  info.name = read_string_attribute(file.get(), "name", path);
  info.source = read_string_attribute(file.get(), "source", path);
  info.channels = read_int_attribute(file.get(), "channels", path);
  info.height = read_int_attribute(file.get(), "height", path);
  info.width = read_int_attribute(file.get(), "width", path);
  require(info.channels > 0 && info.height > 0 && info.width > 0, path + ": root attributes channels/height/width must be positive");
  const SplitShape train = validate_split(file.get(), "train", info);
  const SplitShape test = validate_split(file.get(), "test", info);
  info.train_rows = train.rows;
  info.test_rows = test.rows;
  info.chunk_rows = train.chunk_rows;
  info.has_labels = train.has_labels && test.has_labels;
  return info;
}

void write_dataset(const std::string& path, const DatasetContent& content) {
  h5::silence_library_errors();
  check_consistent(content.train, "train", path);
  check_consistent(content.test, "test", path);
  require(content.train.channels == content.test.channels && content.train.height == content.test.height &&
              content.train.width == content.test.width,
          path + ": train and test images differ in shape");
  // Built in memory (HDF5's core driver, no backing file) and written by write_file_atomically:
  // a full disk then fails one plain write, instead of leaving HDF5 with a half-closed file.
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), path, "property list"), H5Pclose);
  check(H5Pset_fapl_core(fapl.get(), size_t{1} << 24, false), path, "in-memory driver");
  std::vector<uint8_t> image;
  {
    Handle file(check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), path, "create"), H5Fclose);
    write_string_attribute(file.get(), "name", content.name, path);
    write_string_attribute(file.get(), "source", content.source, path);
    write_int_attribute(file.get(), "channels", content.train.channels, path);
    write_int_attribute(file.get(), "height", content.train.height, path);
    write_int_attribute(file.get(), "width", content.train.width, path);
    write_split(file.get(), "train", content.train, path);
    write_split(file.get(), "test", content.test, path);
    check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), path, "flush");
    const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
    check(size, path, "file image size");
    image.resize(static_cast<size_t>(size));
    check(H5Fget_file_image(file.get(), image.data(), image.size()), path, "file image");
  }
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  write_file_atomically(path, image);
}

}  // namespace vae
