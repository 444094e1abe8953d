#include "vae/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vae/error.hpp"

namespace vae {
namespace {

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
  throw UserError(path + ": write failed (" + reason + "; is the disk full?)");
}

}  // namespace

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw UserError(path + ": cannot create " + tmp + " (" + std::strerror(errno) + ")");
  const bool durable = write_all(fd, bytes) && ::fsync(fd) == 0;
  const int error = errno;
  if (::close(fd) != 0 || !durable) fail(path, tmp, std::strerror(durable ? errno : error));
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, tmp, std::strerror(errno));
}

}  // namespace vae
