#pragma once
// metrics.jsonl: one JSON object per epoch, appended and flushed as each epoch ends, so a
// crashed run keeps every finished epoch.
#include <fstream>
#include <string>

#include "vae/epoch_metrics.hpp"

namespace vae {

// One EpochMetrics as a single-line JSON object, and back.
std::string to_json_line(const EpochMetrics& metrics);
EpochMetrics metrics_from_json_line(const std::string& line);

class MetricsLog {
 public:
  // Starts the file afresh (a resumed run rewrites its history first).
  explicit MetricsLog(const std::string& path);
  void write(const EpochMetrics& metrics);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace vae
