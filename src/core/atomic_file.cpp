#include "vae/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "vae/error.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

constexpr const char kTemporarySuffix[] = ".tmp";

bool write_all(int fd, const std::vector<uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

[[noreturn]] void fail(const std::string& path, const std::string& tmp, const std::string& reason) {
  ::unlink(tmp.c_str());
  throw UserError(path + ": write failed (" + reason + "; is the disk full, or a file-size limit set?)");
}

// Makes a rename inside `folder` durable. File systems that cannot sync a folder say EINVAL.
void sync_folder(const std::string& folder, const std::string& path) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw UserError(path + ": cannot open its folder to sync it (" + std::strerror(errno) + ")");
  const bool synced = ::fsync(fd) == 0 || errno == EINVAL;
  const int error = errno;
  ::close(fd);
  if (!synced) throw UserError(path + ": syncing its folder failed (" + std::strerror(error) + ")");
}

}  // namespace

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::string tmp = path + ".XXXXXX" + kTemporarySuffix;
  const int fd = ::mkostemps(tmp.data(), static_cast<int>(std::strlen(kTemporarySuffix)), O_CLOEXEC);
  if (fd < 0) throw UserError(path + ": cannot create a temporary file beside it (" + std::strerror(errno) + ")");
  const bool durable = ::fchmod(fd, 0644) == 0 && write_all(fd, bytes) && ::fsync(fd) == 0;
  const int error = errno;
  if (::close(fd) != 0 || !durable) fail(path, tmp, std::strerror(durable ? errno : error));
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, tmp, std::strerror(errno));
  const fs::path folder = fs::path(path).parent_path();
  sync_folder(folder.empty() ? "." : folder.string(), path);
}

uintmax_t remove_stale_temporaries(const std::string& folder) {
  uintmax_t bytes = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (!entry.is_regular_file(error) || entry.path().extension() != kTemporarySuffix) continue;
    const uintmax_t size = entry.file_size(error);
    if (!error && fs::remove(entry.path(), error)) bytes += size;
  }
  return bytes;
}

}  // namespace vae
