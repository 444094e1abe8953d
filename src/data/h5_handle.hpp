#pragma once
// Private to src/data: RAII for HDF5 ids and the one checker for HDF5 calls.
#include <hdf5.h>

#include <string>
#include <utility>

namespace vae::h5 {

// Throws UserError("<file>: HDF5 <what> failed (<HDF5's own reason>)") when an HDF5 call returned
// a negative id or status.
hid_t check(hid_t id, const std::string& file, const char* what);
// The same for opening a file or reading its data, where a failure means the file is damaged.
hid_t check_read(hid_t id, const std::string& file, const char* what);

// Silences HDF5's own error stack printing once per process, so the user sees our one line.
void silence_library_errors();

// Owns one HDF5 id and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    std::swap(id_, other.id_);
    std::swap(closer_, other.closer_);
    return *this;
  }
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }
  hid_t get() const { return id_; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// A file opened read-only with HDF5 file locking off (cluster file systems refuse the locks) and
// no chunk cache (see h5_handle.cpp).
Handle open_read_only(const std::string& path);

}  // namespace vae::h5
