#include "vae/importers.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <initializer_list>

#include "vae/error.hpp"
#include "vae/pixel_levels.hpp"
#include "vae/png_io.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

std::vector<int64_t> labels_of(const NpyArray& labels, int64_t count, const std::string& where) {
  require(labels.shape.size() == 1 && labels.shape[0] == count,
          where + " must hold one label per image (" + std::to_string(count) + "), shape (" + std::to_string(count) + ",)");
  std::vector<int64_t> out(static_cast<size_t>(count));
  const char* at = labels.bytes.data();
  const auto take = [&](auto sample) {
    for (auto& label : out) {
      std::memcpy(&sample, at, sizeof sample);
      label = static_cast<int64_t>(sample);
      at += sizeof sample;
    }
  };
  if (labels.dtype == "i8") take(int64_t{});
  else if (labels.dtype == "i4") take(int32_t{});
  else if (labels.dtype == "u1") take(uint8_t{});
  else if (labels.dtype == "i2") take(int16_t{});
  else if (labels.dtype == "u2") take(uint16_t{});
  else if (labels.dtype == "i1") take(int8_t{});
  else throw UserError(where + ": labels of type " + labels.dtype + "; use integers (e.g. arr.astype(np.int64))");
  return out;
}

// The array called by the first of `candidates` present in `arrays`, or nothing.
std::optional<NpyArray> pick(const std::map<std::string, NpyArray>& arrays, const std::string& given, std::initializer_list<const char*> candidates,
                             const std::string& path) {
  if (!given.empty()) {
    if (const auto found = arrays.find(given); found != arrays.end()) return found->second;
    std::string names;
    for (const auto& [name, array] : arrays) names += (names.empty() ? "" : ", ") + name;
    throw UserError(path + ": no array named " + given + " (it holds " + names + ")");
  }
  for (const char* name : candidates)
    if (const auto found = arrays.find(name); found != arrays.end()) return found->second;
  return std::nullopt;
}

std::vector<fs::path> pngs_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".png") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> subfolders_of(const fs::path& dir) {
  std::vector<std::string> names;
  if (fs::is_directory(dir))
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_directory()) names.push_back(entry.path().filename().string());
  return names;
}

// One split from a folder: PNGs in it (no labels), or in one subfolder per label; `labels` are
// the label folders' names of both splits, sorted, so a name has one number in each.
ImageSet split_from_folder(const fs::path& dir, const std::vector<std::string>& labels) {
  std::vector<std::pair<fs::path, int64_t>> files;
  if (labels.empty()) {
    for (const auto& file : pngs_in(dir)) files.emplace_back(file, -1);
  } else {
    for (size_t label = 0; label < labels.size(); ++label)
      if (fs::is_directory(dir / labels[label]))
        for (const auto& file : pngs_in(dir / labels[label])) files.emplace_back(file, static_cast<int64_t>(label));
  }
  require(!files.empty(), dir.string() + ": no .png images (in it, or in one subfolder per label)");
  ImageSet set;
  for (const auto& [file, label] : files) {
    const Image image = read_png(file.string());
    if (set.count == 0) set.channels = image.channels, set.height = image.height, set.width = image.width;
    require(image.channels == set.channels && image.height == set.height && image.width == set.width,
            file.string() + " is " + std::to_string(image.width) + "×" + std::to_string(image.height) + (image.channels == 3 ? " RGB" : " grey") +
                " but " + files.front().first.string() + " is " + std::to_string(set.width) + "×" + std::to_string(set.height) +
                (set.channels == 3 ? " RGB" : " grey") + ": every image of a dataset needs the same size and colours");
    set.pixels.resize(set.pixels.size() + static_cast<size_t>(set.image_size()));
    to_levels(image.pixels.data(), 1, set, Layout::kChannelsLast, set.pixels.data() + set.count * set.image_size());
    if (label >= 0) set.labels.push_back(label);
    ++set.count;
  }
  return set;
}

}  // namespace

ImageSet images_from_array(const NpyArray& images, const std::optional<NpyArray>& labels, Layout layout, const std::string& where) {
  ImageSet set;
  int64_t chw[3] = {0, 0, 0};
  const Layout stored = layout_of_shape(images.shape, layout, where, chw);
  set.count = images.shape.at(0);
  set.channels = chw[0], set.height = chw[1], set.width = chw[2];
  require(set.count > 0 && set.image_size() > 0, where + " holds no images");
  set.pixels.resize(static_cast<size_t>(set.count * set.image_size()));
  const auto row = [](int64_t i) { return i; };
  if (images.dtype == "u1") {
    to_levels(reinterpret_cast<const uint8_t*>(images.bytes.data()), set.count, set, stored, set.pixels.data());
  } else if (images.dtype == "f4") {
    to_levels(reinterpret_cast<const float*>(images.bytes.data()), set.count, set, stored, where, row, set.pixels.data());
  } else if (images.dtype == "f8") {
    const auto* doubles = reinterpret_cast<const double*>(images.bytes.data());
    const std::vector<float> floats(doubles, doubles + images.count());
    to_levels(floats.data(), set.count, set, stored, where, row, set.pixels.data());
  } else {
    throw UserError(where + " holds " + images.dtype + " values; vae_data reads uint8 (0–255) or float32/float64 in [0, 1]");
  }
  if (labels) set.labels = labels_of(*labels, set.count, where + " labels");
  return set;
}

DatasetContent dataset_from_npz(const std::string& path, const NpzNames& names, Layout layout) {
  const auto arrays = read_npz(path);
  const auto train = pick(arrays, names.train, {"x_train", "train_images", "train", "images"}, path);
  require(train.has_value(), path + ": no training images (x_train, train_images, train or images): name them with --train-array");
  const auto test = pick(arrays, names.test, {"x_test", "test_images", "test"}, path);
  DatasetContent content;
  content.name = fs::path(path).stem().string();
  content.source = "imported from " + fs::path(path).filename().string();
  content.train = images_from_array(*train, pick(arrays, names.train_labels, {"y_train", "train_labels"}, path), layout, path + " train images");
  if (test) content.test = images_from_array(*test, pick(arrays, names.test_labels, {"y_test", "test_labels"}, path), layout, path + " test images");
  return content;
}

DatasetContent import_dataset(const std::string& source, const ImportOptions& options) {
  if (fs::is_directory(source)) return dataset_from_png_folder(source);
  const std::string extension = fs::path(source).extension().string();
  if (extension == ".npz") return dataset_from_npz(source, options.npz, options.layout);
  require(extension == ".npy", source + ": import reads an .npz, an .npy or a folder of PNGs");
  const auto optional_npy = [](const std::string& path) { return path.empty() ? std::nullopt : std::optional(read_npy(path)); };
  DatasetContent content;
  content.name = fs::path(source).stem().string();
  content.source = "imported from " + fs::path(source).filename().string();
  content.train = images_from_array(read_npy(source), optional_npy(options.train_labels_npy), options.layout, source);
  if (!options.test_npy.empty())
    content.test = images_from_array(read_npy(options.test_npy), optional_npy(options.test_labels_npy), options.layout, options.test_npy);
  return content;
}

DatasetContent dataset_from_png_folder(const std::string& dir) {
  require(fs::is_directory(dir), dir + ": no such folder");
  DatasetContent content;
  content.name = fs::path(dir).filename().string();
  const bool split = fs::is_directory(fs::path(dir) / "train");
  const fs::path train = split ? fs::path(dir) / "train" : fs::path(dir), test = fs::path(dir) / "test";
  std::vector<std::string> labels = subfolders_of(train);
  if (split)
    for (const auto& name : subfolders_of(test))
      if (std::find(labels.begin(), labels.end(), name) == labels.end()) labels.push_back(name);
  std::sort(labels.begin(), labels.end());
  content.train = split_from_folder(train, labels);
  if (split && fs::is_directory(test)) content.test = split_from_folder(test, labels);
  std::string label_names;
  for (size_t label = 0; label < labels.size(); ++label) label_names += (label ? ", " : "") + std::to_string(label) + " " + labels[label];
  content.source = "imported from the PNG images in " + dir + (label_names.empty() ? "" : "; labels: " + label_names);
  return content;
}

}  // namespace vae
