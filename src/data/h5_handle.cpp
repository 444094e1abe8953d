#include "h5_handle.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "vae/error.hpp"

namespace vae::h5 {

namespace {

// The innermost message on HDF5's error stack ("truncated file: eof = 4096, …"): what went wrong,
// where the outer ones only say which call failed.
std::string innermost_error() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD,
           [](unsigned depth, const H5E_error2_t* error, void* out) -> herr_t {
             if (depth == 0 && error->desc != nullptr) *static_cast<std::string*>(out) = error->desc;
             return 0;
           },
           &message);
  return message;
}

// Debian 12's hdf5-plugin-lzf (the LZF filter h5py writes) is built without a link to liblzf, so
// HDF5 fails to load it ("undefined symbol: lzf_decompress") and the read fails as if the file
// were damaged. liblzf loaded into the global namespace first gives the plugin its symbols; where
// the plugin is fixed, or liblzf absent, this changes nothing.
void preload_filter_plugin_dependencies() {
  static std::once_flag once;
  std::call_once(once, [] { dlopen("liblzf.so.1", RTLD_NOW | RTLD_GLOBAL); });
}

}  // namespace

hid_t check(hid_t id, const std::string& file, const char* what) {
  if (id >= 0) return id;
  const std::string detail = innermost_error();
  throw UserError(file + ": HDF5 " + what + " failed" + (detail.empty() ? "" : " (" + detail + ")"));
}

hid_t check_read(hid_t id, const std::string& file, const char* what) {
  if (id >= 0) return id;
  const std::string detail = innermost_error();
  throw UserError(file + ": damaged or truncated HDF5 file (" + what + " failed" + (detail.empty() ? "" : ": " + detail) +
                  "); copy or convert it again");
}

void silence_library_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

Handle open_read_only(const std::string& path) {
  silence_library_errors();
  preload_filter_plugin_dependencies();
  require(std::filesystem::is_regular_file(path),
          path + ": no such dataset file (create one with `vae_data convert` or `vae_data synth`, or pass --data)");
  require(H5Fis_hdf5(path.c_str()) > 0, path + ": not an HDF5 file (convert IDX files with `vae_data convert`)");
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), path, "property list"), H5Pclose);
  check(H5Pset_file_locking(fapl.get(), false, true), path, "disabling file locks");
  // No chunk cache: a shard is read once, and without a cache HDF5 reads only the selected rows of
  // the chunks at either end of the shard instead of those chunks whole.
  check(H5Pset_cache(fapl.get(), 0, 0, 0, 0.75), path, "sizing the chunk cache");
  return Handle(check_read(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), path, "open"), H5Fclose);
}

}  // namespace vae::h5
