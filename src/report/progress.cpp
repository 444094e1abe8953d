#include "vae/progress.hpp"

#include <cstdio>

namespace vae {
namespace {

constexpr int kBarWidth = 24;
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);

std::string epoch_line(const EpochMetrics& m) {
  char iw[48] = "";
  if (m.test_iw_nll > 0) std::snprintf(iw, sizeof(iw), "  IW-NLL %.2f", m.test_iw_nll);
  char line[320];
  std::snprintf(line, sizeof(line), "epoch %*d/%d  train %.2f  test %.2f nats/img (KL %.2f)%s  %.0f img/s  %s elapsed  ETA %s",
                static_cast<int>(std::to_string(m.epochs).size()), m.epoch, m.epochs, m.train_loss, m.test_loss, m.test_kl, iw,
                m.images_per_s, format_duration(m.elapsed_s).c_str(), format_duration(m.eta_s).c_str());
  return line;
}

}  // namespace

std::string format_duration(double seconds) {
  const auto total = static_cast<long>(seconds + 0.5);
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof(text), "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  else
    std::snprintf(text, sizeof(text), "%ld:%02ld", total / 60, total % 60);
  return text;
}

ProgressLine::ProgressLine(int epochs, int64_t steps_per_epoch, bool enabled, bool live)
    : epochs_(epochs), steps_per_epoch_(steps_per_epoch), enabled_(enabled), live_(enabled && live) {}

void ProgressLine::step(int epoch, int64_t step, double batch_loss) {
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawEvery && step + 1 < steps_per_epoch_) return;
  last_draw_ = now;
  const int filled = static_cast<int>(kBarWidth * (step + 1) / steps_per_epoch_);
  std::printf("\r\033[Kepoch %d/%d [%s%s] %lld/%lld  loss %.2f", epoch, epochs_, std::string(static_cast<size_t>(filled), '#').c_str(),
              std::string(static_cast<size_t>(kBarWidth - filled), '.').c_str(), static_cast<long long>(step + 1),
              static_cast<long long>(steps_per_epoch_), batch_loss);
  std::fflush(stdout);
}

void ProgressLine::epoch_end(const EpochMetrics& metrics) {
  if (!enabled_) return;
  std::printf("%s%s\n", live_ ? "\r\033[K" : "", epoch_line(metrics).c_str());
  std::fflush(stdout);
}

}  // namespace vae
