#pragma once
// `vae_data import`: datasets from other sources into the schema file (datasets/SCHEMA.md).
//   NumPy: an .npz with train (and test) arrays and optional labels, or .npy files, one array each;
//          images uint8 0–255 or float in [0, 1], N×H×W, N×C×H×W or N×H×W×C (layout_of_shape).
//   PNG:   DIR/train and DIR/test (or DIR alone: train only), each either PNG files (no labels)
//          or one subfolder of PNGs per label (labels 0, 1, … in the subfolders' name order).
// A dataset without test images is written without /test: train it with --test-fraction.
#include <optional>
#include <string>

#include "vae/h5_dataset.hpp"
#include "vae/image_set.hpp"
#include "vae/npy.hpp"

namespace vae {

// One split from arrays: `images` named `where` in messages; `labels` one integer per image.
ImageSet images_from_array(const NpyArray& images, const std::optional<NpyArray>& labels, Layout layout, const std::string& where);

// Names of the arrays in an .npz; empty: the first present of the usual names (x_train,
// train_images, train, images; x_test, test_images, test; y_train, train_labels; y_test, test_labels).
struct NpzNames {
  std::string train, test, train_labels, test_labels;
};
DatasetContent dataset_from_npz(const std::string& path, const NpzNames& names, Layout layout);

DatasetContent dataset_from_png_folder(const std::string& dir);

// What `vae_data import SOURCE` reads: a folder of PNGs, an .npz (arrays named by `npz`), or an
// .npy of training images with the companion .npy files named here (any may be empty).
struct ImportOptions {
  Layout layout = Layout::kAuto;
  NpzNames npz;
  std::string test_npy, train_labels_npy, test_labels_npy;
};
DatasetContent import_dataset(const std::string& source, const ImportOptions& options);

}  // namespace vae
