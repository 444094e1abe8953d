// vae_data: make and check datasets in vae_dist's HDF5 schema (datasets/SCHEMA.md).
//   vae_data convert --idx-dir DIR --out FILE.h5 [--name NAME]   IDX (MNIST, Fashion-MNIST, KMNIST) → HDF5
//   vae_data synth --out FILE.h5 [--train N --test N --size S --seed K]   synthetic shapes
//   vae_data inspect FILE.h5                                       validate and describe
#include <CLI/CLI.hpp>
#include <cstdio>

#include "vae/default_dataset.hpp"
#include "vae/error.hpp"
#include "vae/h5_dataset.hpp"
#include "vae/idx.hpp"
#include "vae/synthetic.hpp"

namespace {

void print_info(const vae::DatasetInfo& info) {
  std::printf("%s: valid vae_dist dataset\n  name      %s\n  source    %s\n  images    %lld×%lld×%lld (C×H×W), uint8\n"
              "  train     %lld rows\n  test      %lld rows\n  labels    %s\n  chunks    %lld rows\n",
              info.path.c_str(), info.name.c_str(), info.source.c_str(), static_cast<long long>(info.channels),
              static_cast<long long>(info.height), static_cast<long long>(info.width), static_cast<long long>(info.train_rows),
              static_cast<long long>(info.test_rows), info.has_labels ? "yes" : "no", static_cast<long long>(info.chunk_rows));
}

}  // namespace

int main(int argc, char** argv) {
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

  std::string inspect_path;
  auto* inspect = app.add_subcommand("inspect", "validate a dataset file and describe it");
  inspect->add_option("file", inspect_path, "HDF5 dataset")->required();

  CLI11_PARSE(app, argc, argv);
  try {
    if (convert->parsed()) {
      if (out.empty()) out = vae::default_dataset_path();
      vae::write_dataset(out, vae::read_idx_dataset(idx_dir, name));
      print_info(vae::read_dataset_info(out));
    } else if (synth->parsed()) {
      vae::write_dataset(out, vae::make_synthetic(spec));
      print_info(vae::read_dataset_info(out));
    } else {
      print_info(vae::read_dataset_info(inspect_path));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "vae_data: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
