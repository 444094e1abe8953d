#include "vae/npy.hpp"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

#include "vae/error.hpp"

namespace vae {
namespace {

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  require(in.good(), path + ": cannot open");
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

template <typename T>
T little_endian(const char* at) {
  T value = 0;
  std::memcpy(&value, at, sizeof(T));  // the machines vae_dist runs on are little-endian
  return value;
}

// One .npy image in memory (a file's, or a zip member's); `where` names it in messages.
NpyArray parse_npy(const char* data, size_t size, const std::string& where) {
  require(size >= 10 && std::memcmp(data, "\x93NUMPY", 6) == 0, where + ": not a NumPy .npy array (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(data[6]);
  const size_t length_bytes = major == 1 ? 2 : 4;
  require(size >= 8 + length_bytes, where + ": truncated .npy header");
  const size_t header_length = major == 1 ? little_endian<uint16_t>(data + 8) : little_endian<uint32_t>(data + 8);
  const size_t header_start = 8 + length_bytes;
  require(header_start + header_length <= size, where + ": truncated .npy header");
  const std::string header(data + header_start, header_length);
  std::smatch match;
  require(std::regex_search(header, match, std::regex("'descr':\\s*'([<>|=])([a-zA-Z]\\d+)'")), where + ": .npy header without a plain dtype");
  require(match[1] != ">", where + ": big-endian array; save it little-endian (arr.astype(arr.dtype.newbyteorder('<')))");
  NpyArray array;
  array.dtype = match[2];
  require(!std::regex_search(header, std::regex("'fortran_order':\\s*True")), where + ": Fortran-order array; save np.ascontiguousarray(arr)");
  require(std::regex_search(header, match, std::regex("'shape':\\s*\\(([^)]*)\\)")), where + ": .npy header without a shape");
  const std::string dims = match[1];
  const std::regex number("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) array.shape.push_back(std::stoll(it->str()));
  const size_t item = static_cast<size_t>(std::stoi(array.dtype.substr(1)));
  const size_t bytes = static_cast<size_t>(array.count()) * item;
  const size_t body = header_start + header_length;
  require(size - body == bytes, where + ": holds " + std::to_string(size - body) + " bytes of data where its shape needs " + std::to_string(bytes) +
                                    " (truncated?)");
  array.bytes.assign(data + body, data + size);
  return array;
}

std::vector<char> inflate_raw(const char* data, size_t size, size_t expected, const std::string& where) {
  std::vector<char> out(expected);
  z_stream stream{};
  require(inflateInit2(&stream, -MAX_WBITS) == Z_OK, where + ": zlib init failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  stream.avail_in = static_cast<uInt>(size);
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(expected);
  const int status = inflate(&stream, Z_FINISH);
  inflateEnd(&stream);
  require(status == Z_STREAM_END && stream.total_out == expected, where + ": damaged deflate data");
  return out;
}

}  // namespace

int64_t NpyArray::count() const {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  return n;
}

NpyArray read_npy(const std::string& path) {
  const std::vector<char> file = read_file(path);
  return parse_npy(file.data(), file.size(), path);
}

// Zip, as far as np.savez needs: the end record, the central directory, the local headers.
std::map<std::string, NpyArray> read_npz(const std::string& path) {
  const std::vector<char> zip = read_file(path);
  const char* data = zip.data();
  size_t end = zip.size() >= 22 ? zip.size() - 22 : 0;
  while (end > 0 && little_endian<uint32_t>(data + end) != 0x06054b50) --end;
  require(zip.size() >= 22 && little_endian<uint32_t>(data + end) == 0x06054b50, path + ": not an .npz (zip) file");
  const uint16_t entries = little_endian<uint16_t>(data + end + 10);
  size_t at = little_endian<uint32_t>(data + end + 16);
  std::map<std::string, NpyArray> arrays;
  for (uint16_t e = 0; e < entries; ++e) {
    require(at + 46 <= zip.size() && little_endian<uint32_t>(data + at) == 0x02014b50, path + ": damaged zip directory");
    const uint16_t method = little_endian<uint16_t>(data + at + 10);
    const uint32_t packed = little_endian<uint32_t>(data + at + 20), unpacked = little_endian<uint32_t>(data + at + 24);
    const uint16_t name_length = little_endian<uint16_t>(data + at + 28);
    require(at + 46 + name_length <= zip.size(), path + ": damaged zip directory (an entry's name runs past the end of the file)");
    const size_t next = at + 46 + name_length + little_endian<uint16_t>(data + at + 30) + little_endian<uint16_t>(data + at + 32);
    const size_t local = little_endian<uint32_t>(data + at + 42);
    std::string name(data + at + 46, name_length);
    const std::string where = path + ": " + name;
    require(packed != 0xffffffff && unpacked != 0xffffffff && local != 0xffffffff,
            where + ": over 4 GiB (zip64); save the arrays with np.save as .npy files");
    require(local + 30 <= zip.size() && little_endian<uint32_t>(data + local) == 0x04034b50, where + ": damaged zip entry");
    const size_t body = local + 30 + little_endian<uint16_t>(data + local + 26) + little_endian<uint16_t>(data + local + 28);
    require(body + packed <= zip.size(), where + ": truncated");
    require(method == 0 || method == 8, where + ": compressed by zip method " + std::to_string(method) + "; use np.savez or np.savez_compressed");
    const std::vector<char> member = method == 0 ? std::vector<char>(data + body, data + body + packed) : inflate_raw(data + body, packed, unpacked, where);
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    arrays.emplace(name, parse_npy(member.data(), member.size(), where));
    at = next;
  }
  return arrays;
}

}  // namespace vae
