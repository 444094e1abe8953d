#include "vae/h5_dataset.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <vector>

#include "h5_handle.hpp"
#include "h5_sources.hpp"
#include "vae/atomic_file.hpp"
#include "vae/error.hpp"
#include "vae/pixel_levels.hpp"

namespace vae {
namespace {

using h5::check;
using h5::check_read;
using h5::Handle;

constexpr int64_t kTargetChunkBytes = int64_t{1} << 20;  // ~1 MiB of images per chunk

using h5::links_exist;

// "/train/images, /train/labels, /x_train": what a user can pass to --train-key/--test-key.
std::string datasets_in(hid_t file) {
  std::string names;
  H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE,
           [](hid_t group, const char* name, const H5L_info_t*, void* out) -> herr_t {
             H5O_info_t object{};
             if (H5Oget_info_by_name(group, name, &object, H5P_DEFAULT) >= 0 && object.type == H5O_TYPE_DATASET) {
               auto& text = *static_cast<std::string*>(out);
               text += (text.empty() ? "/" : ", /") + std::string(name);
             }
             return 0;
           },
           &names);
  return names.empty() ? "none" : names;
}

std::string read_string_attribute(hid_t loc, const char* name, const std::string& path) {
  Handle attr(check(H5Aopen(loc, name, H5P_DEFAULT), path, "attribute open"), H5Aclose);
  Handle type(check(H5Aget_type(attr.get()), path, "attribute type"), H5Tclose);
  require(H5Tget_class(type.get()) == H5T_STRING, path + ": root attribute '" + name + "' is not a string");
  if (H5Tis_variable_str(type.get()) > 0) {  // h5py writes variable-length strings
    char* value = nullptr;
    Handle mem(check(H5Tcopy(H5T_C_S1), path, "type copy"), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));  // h5py's strings are UTF-8: HDF5 will not convert them to ASCII
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
  Handle attr(check(H5Aopen(loc, name, H5P_DEFAULT), path, "attribute open"), H5Aclose);
  Handle type(check(H5Aget_type(attr.get()), path, "attribute type"), H5Tclose);
  require(H5Tget_class(type.get()) == H5T_INTEGER, path + ": root attribute '" + name + "' is not an integer");
  int64_t value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), path, "attribute read");
  return value;
}

bool has_attribute(hid_t loc, const char* name) { return H5Aexists(loc, name) > 0; }

PixelType pixel_type_of(hid_t type, const std::string& where) {
  const H5T_class_t type_class = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (type_class == H5T_INTEGER && size == 1 && H5Tget_sign(type) == H5T_SGN_NONE) return PixelType::kUint8;
  if (type_class == H5T_FLOAT && size == 4) return PixelType::kFloat32;
  if (type_class == H5T_FLOAT && size == 8) return PixelType::kFloat64;
  throw UserError(where + " holds " + (type_class == H5T_FLOAT ? "float" : type_class == H5T_INTEGER ? "integer" : "non-numeric") +
                  " values of " + std::to_string(size) + " bytes; vae_dist reads uint8 (0–255) or float32/float64 in [0, 1] "
                  "(rescale the images to one of those)");
}

// The filters HDF5 will decode on read, by name ("gzip, shuffle").
std::string filter_names(hid_t dcpl) {
  std::string names;
  for (const auto& [id, name] : h5::filters_of(dcpl))
    names += (names.empty() ? "" : ", ") + (id == H5Z_FILTER_DEFLATE ? std::string("gzip") : id == H5Z_FILTER_SHUFFLE ? std::string("shuffle") : name);
  return names;
}

struct SplitShape {
  SplitSource source;
  int64_t chw[3] = {0, 0, 0};
};

// Splits one images dataset in two: every k-th row for testing, the others for training.
void cut_test_rows(SplitSource& train, SplitSource& test, int64_t every, const std::string& path) {
  require(every >= 2, path + ": --test-fraction must leave rows to train on (at most 0.5)");
  const int64_t rows = train.rows;
  require(rows / every > 0, path + ": " + train.images + " has " + std::to_string(rows) + " rows, too few for a test split of one in " +
                                std::to_string(every));
  train.every = test.every = every;
  test.test_part = true;
  test.rows = rows / every;
  train.rows = rows - test.rows;
}

SplitShape describe_split(hid_t file, Split split, const std::string& key, Layout asked, const std::string& path) {
  const std::string where = path + ": " + key;
  const std::string flag = split == Split::kTrain ? "--train-key" : "--test-key";
  h5::require_links_resolve(file, key, path);
  require(links_exist(file, key), where + " is missing (datasets in the file: " + datasets_in(file) + "); name the " +
                                   split_name(split) + " images with " + flag +
                                   (split == Split::kTest ? ", or test on a share of the train rows with --test-fraction" : ""));
  Handle images(check_read(H5Dopen2(file, key.c_str(), H5P_DEFAULT), path, ("opening " + key).c_str()), H5Dclose);
  h5::require_virtual_sources(images.get(), key, path);
  h5::require_filters_available(images.get(), key, path);
  Handle type(check(H5Dget_type(images.get()), path, "dataset type"), H5Tclose);
  SplitShape shape;
  SplitSource& source = shape.source;
  source.images = key;
  source.pixel_type = pixel_type_of(type.get(), where);
  Handle space(check(H5Dget_space(images.get()), path, "dataspace"), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  require(rank >= 1, where + " is a scalar, not an array of images");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  source.layout = layout_of_shape(std::vector<int64_t>(dims.begin(), dims.end()), asked, where, shape.chw);
  source.rows = static_cast<int64_t>(dims[0]);
  require(source.rows > 0, where + " is empty");
  require(shape.chw[0] > 0 && shape.chw[1] > 0 && shape.chw[2] > 0, where + " has an empty image axis");

  Handle dcpl(check(H5Dget_create_plist(images.get()), path, "creation plist"), H5Pclose);
  if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(dims.size());
    H5Pget_chunk(dcpl.get(), rank, chunk.data());
    source.chunk_rows = static_cast<int64_t>(chunk[0]);
    source.filters = filter_names(dcpl.get());
  }

  // Labels sit next to images named ".../images" (the schema's /train/labels).
  const std::string suffix = "/images";
  if (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
    const std::string labels_key = key.substr(0, key.size() - suffix.size()) + "/labels";
    if (links_exist(file, labels_key)) {
      Handle labels(check_read(H5Dopen2(file, labels_key.c_str(), H5P_DEFAULT), path, "opening the labels"), H5Dclose);
      h5::require_virtual_sources(labels.get(), labels_key, path);
      h5::require_filters_available(labels.get(), labels_key, path);
      Handle ltype(check(H5Dget_type(labels.get()), path, "dataset type"), H5Tclose);
      Handle lspace(check(H5Dget_space(labels.get()), path, "dataspace"), H5Sclose);
      hsize_t count = 0;
      require(H5Tget_class(ltype.get()) == H5T_INTEGER && H5Sget_simple_extent_ndims(lspace.get()) == 1,
              path + ": " + labels_key + " must be a 1-D integer dataset");
      H5Sget_simple_extent_dims(lspace.get(), &count, nullptr);
      require(static_cast<int64_t>(count) == source.rows, path + ": " + labels_key + " holds " + std::to_string(count) +
                                                              " labels for " + std::to_string(source.rows) + " images");
      source.labels = labels_key;
    }
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

const char* pixel_type_name(PixelType type) {
  switch (type) {
    case PixelType::kUint8: return "uint8 (0–255)";
    case PixelType::kFloat32: return "float32 (0–1)";
    case PixelType::kFloat64: return "float64 (0–1)";
  }
  return "";
}

namespace {

struct LayoutWords {
  Layout layout;
  const char* name;  // as printed
  const char* flag;  // as --layout takes it
};
constexpr LayoutWords kLayouts[] = {{Layout::kAuto, "auto", "auto"},
                                    {Layout::kChannelsFirst, "N×C×H×W", "nchw"},
                                    {Layout::kChannelsLast, "N×H×W×C", "nhwc"},
                                    {Layout::kNoChannelAxis, "N×H×W", "nhw"}};

const LayoutWords& words_of(Layout layout) {
  return *std::find_if(std::begin(kLayouts), std::end(kLayouts), [&](const LayoutWords& words) { return words.layout == layout; });
}

}  // namespace

const char* layout_name(Layout layout) { return words_of(layout).name; }
const char* layout_flag(Layout layout) { return words_of(layout).flag; }

std::vector<std::string> layout_flags() {
  std::vector<std::string> flags;
  for (const auto& words : kLayouts) flags.emplace_back(words.flag);
  return flags;
}

Layout layout_from_flag(const std::string& flag) {
  for (const auto& words : kLayouts)
    if (flag == words.flag) return words.layout;
  throw UserError("--layout " + flag + ": use auto, nchw, nhwc or nhw");
}

int64_t test_every_from_fraction(double fraction) {
  require(fraction > 0 && fraction <= 0.5, "--test-fraction must be above 0 and at most 0.5, got " + std::to_string(fraction));
  return std::lround(1.0 / fraction);
}

DatasetInfo read_dataset_info(const std::string& path, const DatasetKeys& keys) {
  Handle file = h5::open_read_only(path);
  DatasetInfo info;
  info.path = path;
  SplitShape train = describe_split(file.get(), Split::kTrain, keys.train, keys.layout, path);
  require(keys.test_every == 0 || !links_exist(file.get(), keys.test),
          path + " has a test split (" + keys.test + "): --test-fraction is for files without one; leave it out, or test on other rows with --test-key");
  SplitShape test = keys.test_every > 0 ? train : describe_split(file.get(), Split::kTest, keys.test, keys.layout, path);
  if (keys.test_every > 0) cut_test_rows(train.source, test.source, keys.test_every, path);
  require(std::equal(train.chw, train.chw + 3, test.chw),
          path + ": the train images are " + std::to_string(train.chw[0]) + "×" + std::to_string(train.chw[1]) + "×" +
              std::to_string(train.chw[2]) + " (C×H×W) but the test images are " + std::to_string(test.chw[0]) + "×" +
              std::to_string(test.chw[1]) + "×" + std::to_string(test.chw[2]));
  info.channels = train.chw[0], info.height = train.chw[1], info.width = train.chw[2];
  // The root attributes only repeat the shape: a file without them reads the same, named after
  // itself; a file with them must agree with its images.
  const hid_t root = file.get();
  info.name = has_attribute(root, "name") ? read_string_attribute(root, "name", path) : std::filesystem::path(path).stem().string();
  info.source = has_attribute(root, "source") ? read_string_attribute(root, "source", path) : "";
  info.has_root_attributes = has_attribute(root, "channels") && has_attribute(root, "height") && has_attribute(root, "width");
  const char* attributes[] = {"channels", "height", "width"};
  for (int axis = 0; axis < 3; ++axis) {
    if (!has_attribute(root, attributes[axis])) continue;
    const int64_t said = read_int_attribute(root, attributes[axis], path);
    require(said == train.chw[axis], path + ": root attribute " + attributes[axis] + " = " + std::to_string(said) + " but " + keys.train +
                                         " is " + std::to_string(train.chw[0]) + "×" + std::to_string(train.chw[1]) + "×" +
                                         std::to_string(train.chw[2]) + " (C×H×W, read as " + layout_name(train.source.layout) +
                                         "): fix the attribute, or --layout if the axes are read wrong");
  }
  info.train = train.source;
  info.test = test.source;
  info.train_rows = train.source.rows;
  info.test_rows = test.source.rows;
  info.chunk_rows = train.source.chunk_rows;
  info.has_labels = !train.source.labels.empty() && !test.source.labels.empty();
  return info;
}

void write_dataset(const std::string& path, const DatasetContent& content) {
  h5::silence_library_errors();
  check_consistent(content.train, "train", path);
  const bool has_test = content.test.count > 0;  // none: train with --test-fraction
  if (has_test) check_consistent(content.test, "test", path);
  require(!has_test || (content.train.channels == content.test.channels && content.train.height == content.test.height &&
                        content.train.width == content.test.width),
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
    if (has_test) write_split(file.get(), "test", content.test, path);
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
