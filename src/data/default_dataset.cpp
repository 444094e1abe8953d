#include "vae/default_dataset.hpp"

#include <cstdlib>
#include <filesystem>

#include "vae/error.hpp"
#include "vae/h5_dataset.hpp"
#include "vae/idx.hpp"

namespace vae {

std::string default_dataset_path() {
  if (const char* explicit_path = std::getenv("VAE_DIST_DATA"); explicit_path && *explicit_path) return explicit_path;
  std::filesystem::path cache;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    cache = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    cache = std::filesystem::path(home) / ".cache";
  } else {
    cache = std::filesystem::temp_directory_path();
  }
  return (cache / "vae_dist" / "fashion-mnist.h5").string();
}

void prepare_default_dataset(const std::string& path, const std::string& idx_dir) {
  require(std::filesystem::is_directory(idx_dir),
          "the default dataset needs Debian's dataset-fashion-mnist package (" + idx_dir +
              " is missing): run launch/install_deps.sh, or pass --data FILE.h5");
  write_dataset(path, read_idx_dataset(idx_dir, "fashion-mnist"));
}

}  // namespace vae
