#pragma once
// NumPy's own files: .npy (one array) and .npz (a zip of .npy files, stored or deflated, as
// np.savez and np.savez_compressed write them). Little-endian, C-order arrays of the types a
// dataset holds: uint8, float32, float64 and integers (labels).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vae {

struct NpyArray {
  std::string dtype;            // NumPy's descr without byte order: "u1", "f4", "f8", "i8", "i4", …
  std::vector<int64_t> shape;
  std::vector<char> bytes;      // the elements, C order, native (little-endian) byte order

  int64_t count() const;        // elements
};

// Throws UserError naming `path` (and the array) on anything else: big-endian, Fortran order,
// objects, a damaged file.
NpyArray read_npy(const std::string& path);
// Every array of an .npz, by name without ".npy".
std::map<std::string, NpyArray> read_npz(const std::string& path);

}  // namespace vae
