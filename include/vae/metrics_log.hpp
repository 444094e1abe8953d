#pragma once
// metrics.jsonl: one JSON object per epoch, appended and flushed as each epoch ends, so a
// crashed run keeps every finished epoch.
#include <fstream>
#include <string>

#include "vae/epoch_metrics.hpp"

namespace vae {

class MetricsLog {
 public:
  enum class Mode { kTruncate, kAppend };
  MetricsLog(const std::string& path, Mode mode);
  void write(const EpochMetrics& metrics);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace vae
