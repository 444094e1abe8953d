#include "h5_sources.hpp"

#include <cstdlib>
#include <filesystem>
#include <set>
#include <utility>
#include <vector>

#include "h5_handle.hpp"
#include "vae/error.hpp"

namespace vae::h5 {
namespace {

namespace fs = std::filesystem;

// "/a", "/a/b", "/a/b/c" for key "/a/b/c".
std::vector<std::string> prefixes_of(const std::string& key) {
  std::vector<std::string> prefixes;
  for (size_t slash = key.find('/', 1);; slash = key.find('/', slash + 1)) {
    const std::string prefix = key.substr(0, slash);
    if (!prefix.empty() && prefix != "/") prefixes.push_back(prefix);
    if (slash == std::string::npos) return prefixes;
  }
}

// The target of the soft or external link `name` ("other.h5:/train" or "/elsewhere").
std::string link_target(hid_t file, const std::string& name, const H5L_info_t& info) {
  std::vector<char> value(info.u.val_size + 1, '\0');
  if (H5Lget_val(file, name.c_str(), value.data(), value.size(), H5P_DEFAULT) < 0) return "?";
  if (info.type != H5L_TYPE_EXTERNAL) return value.data();
  const char* target_file = nullptr;
  const char* target_object = nullptr;
  unsigned flags = 0;
  if (H5Lunpack_elink_val(value.data(), value.size(), &flags, &target_file, &target_object) < 0) return "?";
  return std::string(target_file) + ":" + target_object;
}

// Where HDF5 looks for a file named `name` by a file in `folder`: as given, in `folder`, and
// under the prefix the environment variable `prefix_variable` names.
std::vector<fs::path> candidate_files(const std::string& name, const fs::path& folder, const char* prefix_variable) {
  std::vector<fs::path> candidates{name};
  if (fs::path(name).is_relative()) candidates.push_back(folder / name);
  if (const char* prefix = std::getenv(prefix_variable); prefix && *prefix) candidates.push_back(fs::path(prefix) / fs::path(name).filename());
  return candidates;
}

std::string first_existing(const std::vector<fs::path>& candidates) {
  for (const fs::path& candidate : candidates)
    if (fs::is_regular_file(candidate)) return candidate.string();
  return "";
}

// True when `key` names an object in `file`, every link on the way resolving.
bool object_exists(hid_t file, const std::string& key) {
  if (!links_exist(file, key)) return false;
  for (const std::string& prefix : prefixes_of(key))
    if (H5Oexists_by_name(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  return true;
}

// The name and Debian package of the filters h5py users meet most.
std::pair<std::string, std::string> known_filter(H5Z_filter_t id) {
  switch (id) {
    case 32000: return {"LZF, h5py's own", "hdf5-plugin-lzf"};
    case 32004: return {"LZ4", "hdf5-filter-plugin"};
    case 307: return {"BZip2", "hdf5-filter-plugin"};
    case 32008: return {"Bitshuffle", "hdf5-filter-plugin"};
    case 32001: return {"Blosc", "hdf5-filter-plugin-blosc-serial"};
    case 32015: return {"Zstandard", "hdf5-filter-plugin-zstd-serial"};
    default: return {"", ""};
  }
}

// Reads the dataset's first value (one chunk decoded): false when its filters cannot decode it.
bool can_read_first_value(hid_t dataset) {
  Handle space(H5Dget_space(dataset), H5Sclose);
  Handle type(H5Dget_type(dataset), H5Tclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (space.get() < 0 || type.get() < 0 || rank < 1) return false;
  const std::vector<hsize_t> start(static_cast<size_t>(rank), 0), one(static_cast<size_t>(rank), 1);
  if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, one.data(), nullptr) < 0) return false;
  Handle memory(H5Screate_simple(rank, one.data(), nullptr), H5Sclose);
  std::vector<unsigned char> value(H5Tget_size(type.get()));
  return H5Dread(dataset, type.get(), memory.get(), space.get(), H5P_DEFAULT, value.data()) >= 0;
}

}  // namespace

bool links_exist(hid_t file, const std::string& key) {
  for (const std::string& prefix : prefixes_of(key))
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  return true;
}

std::vector<Filter> filters_of(hid_t dcpl) {
  std::vector<Filter> filters;
  for (int i = 0, n = H5Pget_nfilters(dcpl); i < n; ++i) {
    unsigned flags = 0;
    size_t count = 0;
    char name[64] = {};
    const H5Z_filter_t id = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &count, nullptr, sizeof name, name, nullptr);
    if (id >= 0) filters.push_back({id, name});
  }
  return filters;
}

void require_links_resolve(hid_t file, const std::string& key, const std::string& path) {
  for (const std::string& prefix : prefixes_of(key)) {
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return;  // missing: the caller lists what is there
    if (H5Oexists_by_name(file, prefix.c_str(), H5P_DEFAULT) > 0) continue;
    H5L_info_t info{};
    if (H5Lget_info(file, prefix.c_str(), &info, H5P_DEFAULT) < 0) return;
    const std::string target = link_target(file, prefix, info);
    if (info.type == H5L_TYPE_EXTERNAL)
      throw UserError(path + ": " + prefix + " is an external link to " + target +
                      ", which cannot be opened (HDF5 looks for the file as named, beside " + path +
                      " and under $HDF5_EXT_PREFIX): put the file there, or rebuild the link");
    throw UserError(path + ": " + prefix + " is a link to " + target + ", which does not exist in the file: fix the link, or name the data with --train-key/--test-key");
  }
}

void require_virtual_sources(hid_t dataset, const std::string& key, const std::string& path) {
  Handle dcpl(check(H5Dget_create_plist(dataset), path, "creation plist"), H5Pclose);
  if (H5Pget_layout(dcpl.get()) != H5D_VIRTUAL) return;
  size_t mappings = 0;
  check(H5Pget_virtual_count(dcpl.get(), &mappings), path, "virtual dataset mappings");
  std::set<std::pair<std::string, std::string>> checked;
  for (size_t i = 0; i < mappings; ++i) {
    std::string file_name(static_cast<size_t>(std::max<ssize_t>(0, H5Pget_virtual_filename(dcpl.get(), i, nullptr, 0))), '\0');
    H5Pget_virtual_filename(dcpl.get(), i, file_name.data(), file_name.size() + 1);
    std::string source(static_cast<size_t>(std::max<ssize_t>(0, H5Pget_virtual_dsetname(dcpl.get(), i, nullptr, 0))), '\0');
    H5Pget_virtual_dsetname(dcpl.get(), i, source.data(), source.size() + 1);
    // A "%b" pattern (an unlimited mapping) names many files: HDF5 reads those it finds.
    if (file_name.find('%') != std::string::npos || !checked.insert({file_name, source}).second) continue;
    const std::string where = path + ": " + key + " is a virtual dataset, and its source ";
    if (file_name == ".") {  // the source lies in the same file
      const Handle same_file(check(H5Iget_file_id(dataset), path, "file of a dataset"), H5Fclose);
      require(object_exists(same_file.get(), source), where + source + " is missing from the file (HDF5 would read zeros): rebuild the virtual dataset");
      continue;
    }
    const std::string found = first_existing(candidate_files(file_name, fs::path(path).parent_path(), "HDF5_VDS_PREFIX"));
    require(!found.empty(), where + "file " + file_name + " is missing (HDF5 would read zeros; looked as named and beside " + path +
                                ", and under $HDF5_VDS_PREFIX): put it there, or rebuild the virtual dataset");
    const Handle source_file = open_read_only(found);
    require(object_exists(source_file.get(), source),
            where + found + " has no dataset " + source + " (HDF5 would read zeros): rebuild the virtual dataset");
  }
}

void require_filters_available(hid_t dataset, const std::string& key, const std::string& path) {
  Handle dcpl(check(H5Dget_create_plist(dataset), path, "creation plist"), H5Pclose);
  for (const auto& [id, name] : filters_of(dcpl.get())) {
    // H5Zfilter_avail knows the built-in filters only; a plugin is loaded by the first read that needs it.
    if (H5Zfilter_avail(id) > 0 || can_read_first_value(dataset)) continue;
    const auto [known_name, package] = known_filter(id);
    const std::string filter_name = !known_name.empty() ? known_name : !name.empty() ? name : "unknown";
    throw UserError(path + ": " + key + " is compressed with HDF5 filter " + std::to_string(id) + " (" + filter_name +
                    "), which this HDF5 cannot load: " +
                    (package.empty() ? "install its plugin" : "install Debian's " + package + " (launch/install_deps.sh does)") +
                    ", set HDF5_PLUGIN_PATH to the plugin's folder, or rewrite the file with gzip compression");
  }
}

}  // namespace vae::h5
