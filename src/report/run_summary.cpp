#include "vae/run_summary.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "vae/error.hpp"

namespace vae {

std::string to_json_line(const RunSummary& s) {
  return nlohmann::json{{"ranks", s.ranks},
                        {"nodes", s.nodes},
                        {"threads", s.threads},
                        {"per_rank_batch", s.per_rank_batch},
                        {"global_batch", s.global_batch},
                        {"epochs", s.epochs},
                        {"steps_per_epoch", s.steps_per_epoch},
                        {"train_s", s.train_s},
                        {"test_s", s.test_s},
                        {"iw_s", s.iw_s},
                        {"process_s", s.process_s},
                        {"images_per_s", s.images_per_s},
                        {"host", s.host},
                        {"cores", s.cores},
                        {"oversubscribed", s.oversubscribed},
                        {"label", s.label}}
      .dump();
}

void append_line(const std::string& path, const std::string& line) {
  const std::string text = line + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw UserError(path + ": cannot open for appending (" + std::strerror(errno) + "): check --results");
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int error = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()))
    throw UserError(path + ": append failed (" + std::strerror(written < 0 ? error : ENOSPC) + "; is the disk full?)");
}

double process_seconds() {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat;
  std::getline(stat_file, stat);
  // Field 22 is the start time in clock ticks after boot; count fields after the ')' that closes
  // the command name, which may itself hold spaces.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int index = 3; index <= 22; ++index) fields >> field;
  double uptime = 0;
  std::ifstream("/proc/uptime") >> uptime;
  return uptime - std::stod(field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace vae
