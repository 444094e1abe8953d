#pragma once
// Private to src/data: where a dataset's bytes come from, checked before they are read. HDF5
// reads some broken files without an error — a virtual dataset whose source file is missing
// reads as fill values (zeros) — and words others as damage (a dangling external link, a filter
// whose plugin is not installed). These checks refuse such files by name instead.
#include <hdf5.h>

#include <string>
#include <vector>

namespace vae::h5 {

// True when every link on the way to `key` ("/a/b/c") exists (H5Lexists fails on a missing
// parent); the links need not resolve.
bool links_exist(hid_t file, const std::string& key);

// The filters a chunked dataset's bytes pass through, in order, from its creation property list.
struct Filter {
  H5Z_filter_t id;
  std::string name;  // as the file records it
};
std::vector<Filter> filters_of(hid_t dcpl);

// Throws UserError when a link on the way to `key` in `file` (the file at `path`) is an external
// or soft link whose target cannot be opened, naming the link and its target.
void require_links_resolve(hid_t file, const std::string& key, const std::string& path);

// Throws UserError when `dataset` (`key`) is a virtual dataset one of whose source files or
// source datasets is missing.
void require_virtual_sources(hid_t dataset, const std::string& key, const std::string& path);

// Throws UserError when `dataset` (`key`) is compressed with a filter this HDF5 cannot load,
// naming the filter and the Debian package that brings it.
void require_filters_available(hid_t dataset, const std::string& key, const std::string& path);

}  // namespace vae::h5
