#include "vae/metrics_log.hpp"

#include <nlohmann/json.hpp>

#include "vae/error.hpp"

namespace vae {

MetricsLog::MetricsLog(const std::string& path, Mode mode)
    : path_(path), out_(path, mode == Mode::kAppend ? std::ios::app : std::ios::trunc) {
  require(out_.good(), path + ": cannot open for writing");
}

void MetricsLog::write(const EpochMetrics& m) {
  const nlohmann::json line = {
      {"epoch", m.epoch},         {"step", m.step},           {"train_loss", m.train_loss}, {"train_kl", m.train_kl},
      {"test_loss", m.test_loss}, {"test_kl", m.test_kl},     {"images_per_s", m.images_per_s},
      {"epoch_s", m.epoch_s},     {"elapsed_s", m.elapsed_s}, {"world_size", m.world_size},
  };
  out_ << line.dump() << '\n';
  out_.flush();
  require(out_.good(), path_ + ": write failed (is the disk full?)");
}

}  // namespace vae
