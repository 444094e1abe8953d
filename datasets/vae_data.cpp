// vae_data: make and check datasets in vae_dist's HDF5 schema (datasets/SCHEMA.md).
//   vae_data convert --idx-dir DIR --out FILE.h5 [--name NAME]   IDX (MNIST, Fashion-MNIST, KMNIST) → HDF5
//   vae_data synth --out FILE.h5 [--train N --test N --size S --seed K]   synthetic shapes
//   vae_data import SOURCE --out FILE.h5 [...]                   .npz, .npy or a folder of PNGs → HDF5
//   vae_data inspect FILE.h5 [--train-key K --test-key K --layout L]  how vae_dist reads it; every row read
#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>

#include "vae/default_dataset.hpp"
#include "vae/error.hpp"
#include "vae/h5_dataset.hpp"
#include "vae/h5_shard.hpp"
#include "vae/idx.hpp"
#include "vae/importers.hpp"
#include "vae/synthetic.hpp"

namespace {

std::string describe(const vae::SplitSource& split) {
  const std::string k = std::to_string(split.every);
  std::string text = split.images + (split.every == 0 ? "" : split.test_part ? " (1 row in " + k + ": rows " + k + "·i + " + k + " − 1)"
                                                                             : " (the rows not tested)") +
                     ": " + std::to_string(split.rows) + " rows, " + vae::pixel_type_name(split.pixel_type) + ", " +
                     vae::layout_name(split.layout);
  text += split.chunk_rows > 0 ? ", chunks of " + std::to_string(split.chunk_rows) + " rows" : ", contiguous";
  if (!split.filters.empty()) text += ", " + split.filters;
  return text + (split.labels.empty() ? ", no labels" : ", labels " + split.labels);
}

void print_info(const vae::DatasetInfo& info) {
  std::printf("%s: vae_dist reads it as follows\n", info.path.c_str());
  std::printf("  name      %s%s\n", info.name.c_str(), info.has_root_attributes ? "" : " (no root attributes: shape from the images, name from the file)");
  if (!info.source.empty()) std::printf("  source    %s\n", info.source.c_str());
  std::printf("  images    %lld×%lld×%lld (C×H×W)\n", static_cast<long long>(info.channels), static_cast<long long>(info.height),
              static_cast<long long>(info.width));
  std::printf("  train     %s\n  test      %s\n", describe(info.train).c_str(), describe(info.test).c_str());
}

// Reads every row the way training does, a block at a time: a float outside [0, 1] or a damaged
// chunk is found here, named, rather than by the rank that owns it.
void check_every_row(const vae::DatasetInfo& info) {
  constexpr int64_t kRowsPerRead = 4096;
  for (const vae::Split split : {vae::Split::kTrain, vae::Split::kTest})
    for (int64_t first = 0; first < info.rows(split); first += kRowsPerRead)
      vae::read_shard(info, split, {first, std::min(first + kRowsPerRead, info.rows(split))});
  std::printf("  pixels    every row read and in range\n");
}

// The keys of a file import wrote without test images: a tenth of the train rows, to show it reads.
vae::DatasetKeys train_only() {
  vae::DatasetKeys keys;
  keys.test_every = 10;
  return keys;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGXFSZ, SIG_IGN);  // under a file-size limit a write fails with its line instead of killing the process
  CLI::App app{"vae_data: make and check datasets for vae_dist", "vae_data"};
  app.require_subcommand(1);

  std::string idx_dir = VAE_DEFAULT_IDX_DIR, out, name = "fashion-mnist";
  auto* convert = app.add_subcommand("convert", "convert four IDX files (gzipped or raw) to HDF5");
  convert->add_option("--idx-dir", idx_dir, "folder with train-images-idx3-ubyte[.gz] and the three others")->capture_default_str();
  convert->add_option("--out", out, "HDF5 file to write (default: where vae_dist looks for its default dataset)");
  convert->add_option("--name", name, "dataset name stored in the file")->capture_default_str();

  vae::SyntheticSpec spec;
  auto* synth = app.add_subcommand("synth", "write a small synthetic dataset of shapes (deterministic)");
  synth->add_option("--out", out, "HDF5 file to write")->required();
  synth->add_option("--train", spec.train_count, "training images")->capture_default_str();
  synth->add_option("--test", spec.test_count, "test images")->capture_default_str();
  synth->add_option("--size", spec.size, "image side in pixels")->capture_default_str();
  synth->add_option("--seed", spec.seed, "random seed")->capture_default_str();

  std::string source, import_layout = "auto", import_name;
  vae::ImportOptions import_options;
  auto* import = app.add_subcommand("import", "write a dataset from NumPy arrays (.npy, .npz) or a folder of PNG images");
  import->add_option("source", source,
                     "an .npz (arrays x_train, x_test, y_train, y_test or as named below), an .npy of training images, or a folder: "
                     "train/ and test/ (or the folder alone) holding PNGs, or one subfolder of PNGs per label")
      ->required();
  import->add_option("--out", out, "HDF5 file to write (atomically: complete or not at all)")->required();
  import->add_option("--name", import_name, "dataset name stored in the file (default: the source's name)");
  import->add_option("--test", import_options.test_npy, ".npy of test images (with an .npy source; without one, train with --test-fraction)");
  import->add_option("--train-labels", import_options.train_labels_npy, ".npy of training labels (with an .npy source)");
  import->add_option("--test-labels", import_options.test_labels_npy, ".npy of test labels (with an .npy source)");
  import->add_option("--train-array", import_options.npz.train, "the .npz array of training images");
  import->add_option("--test-array", import_options.npz.test, "the .npz array of test images");
  import->add_option("--train-labels-array", import_options.npz.train_labels, "the .npz array of training labels");
  import->add_option("--test-labels-array", import_options.npz.test_labels, "the .npz array of test labels");
  import->add_option("--layout", import_layout, "auto, nchw, nhwc or nhw (as vae_dist --layout)")
      ->capture_default_str()
      ->check(CLI::IsMember(vae::layout_flags()));

  std::string inspect_path, layout = "auto";
  vae::DatasetKeys keys;
  auto* inspect = app.add_subcommand("inspect", "show how vae_dist will read a file, and read every row of it");
  inspect->add_option("file", inspect_path, "HDF5 dataset")->required();
  inspect->add_option("--train-key", keys.train, "the HDF5 dataset of training images")->capture_default_str();
  inspect->add_option("--test-key", keys.test, "the HDF5 dataset of test images")->capture_default_str();
  double test_fraction = 0;
  inspect->add_option("--test-fraction", test_fraction, "test on every k-th training row, k = round(1/F) (as vae_dist --test-fraction)");
  inspect->add_option("--layout", layout, "auto, nchw, nhwc or nhw (as vae_dist --layout)")
      ->capture_default_str()
      ->check(CLI::IsMember(vae::layout_flags()));

  CLI11_PARSE(app, argc, argv);
  try {
    if (convert->parsed()) {
      if (out.empty()) out = vae::default_dataset_path();
      vae::write_dataset(out, vae::read_idx_dataset(idx_dir, name));
      print_info(vae::read_dataset_info(out));
    } else if (import->parsed()) {
      import_options.layout = vae::layout_from_flag(import_layout);
      vae::DatasetContent content = vae::import_dataset(source, import_options);
      if (!import_name.empty()) content.name = import_name;
      vae::write_dataset(out, content);
      print_info(vae::read_dataset_info(out, content.test.count > 0 ? vae::DatasetKeys{} : train_only()));
      if (content.test.count == 0) std::printf("  (no test images: train with --test-fraction, e.g. 0.1)\n");
    } else if (synth->parsed()) {
      vae::write_dataset(out, vae::make_synthetic(spec));
      print_info(vae::read_dataset_info(out));
    } else {
      keys.layout = vae::layout_from_flag(layout);
      if (test_fraction > 0) keys.test_every = vae::test_every_from_fraction(test_fraction);
      const vae::DatasetInfo info = vae::read_dataset_info(inspect_path, keys);
      print_info(info);
      check_every_row(info);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "vae_data: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
