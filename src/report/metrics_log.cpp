#include "vae/metrics_log.hpp"

#include <nlohmann/json.hpp>

#include "vae/error.hpp"

namespace vae {

std::string to_json_line(const EpochMetrics& m) {
  nlohmann::json line = {
      {"epoch", m.epoch},         {"epochs", m.epochs},       {"step", m.step},           {"train_loss", m.train_loss},
      {"train_kl", m.train_kl},   {"test_loss", m.test_loss}, {"test_kl", m.test_kl},     {"images_per_s", m.images_per_s},
      {"epoch_s", m.epoch_s},     {"test_s", m.test_s},       {"iw_s", m.iw_s},           {"outputs_s", m.outputs_s},
      {"elapsed_s", m.elapsed_s}, {"world_size", m.world_size},
  };
  if (m.test_iw_nll > 0) line["test_iw_nll"] = m.test_iw_nll;
  return line.dump();
}

EpochMetrics metrics_from_json_line(const std::string& text) {
  const auto line = nlohmann::json::parse(text);
  EpochMetrics m;
  m.epoch = line.at("epoch");
  m.epochs = line.value("epochs", 0);
  m.step = line.at("step");
  m.train_loss = line.at("train_loss");
  m.train_kl = line.value("train_kl", 0.0);
  m.test_loss = line.at("test_loss");
  m.test_kl = line.value("test_kl", 0.0);
  m.test_iw_nll = line.value("test_iw_nll", 0.0);
  m.images_per_s = line.value("images_per_s", 0.0);
  m.epoch_s = line.value("epoch_s", 0.0);
  m.test_s = line.value("test_s", 0.0);
  m.iw_s = line.value("iw_s", 0.0);
  m.outputs_s = line.value("outputs_s", 0.0);
  m.elapsed_s = line.value("elapsed_s", 0.0);
  m.world_size = line.value("world_size", 1);
  return m;
}

MetricsLog::MetricsLog(const std::string& path) : path_(path), out_(path, std::ios::trunc) {
  require(out_.good(), path + ": cannot open for writing");
}

void MetricsLog::write(const EpochMetrics& m) {
  out_ << to_json_line(m) << '\n';
  out_.flush();
  require(out_.good(), path_ + ": write failed (is the disk full?)");
}

}  // namespace vae
