#include "vae/synthetic.hpp"

#include <cmath>
#include <random>
#include <string>

#include "vae/error.hpp"

namespace vae {
namespace {

// mt19937_64 is specified bit for bit by the standard; the distributions are not, so map by hand.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  int64_t uniform(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  std::mt19937_64 engine_;
};

// Whether pixel (y, x) lies inside shape `label` centred at (cy, cx) with half-size r.
bool inside(int label, double y, double x, double cy, double cx, double r) {
  const double dy = y - cy, dx = x - cx;
  const double d = std::sqrt(dy * dy + dx * dx);
  switch (label) {
    case 0: return std::abs(dy) <= r && std::abs(dx) <= r;                                        // square
    case 1: return d <= r;                                                                        // disc
    case 2: return d <= r && d >= 0.55 * r;                                                       // ring
    case 3: return std::abs(dy) <= 0.3 * r && std::abs(dx) <= r;                                  // bar
    case 4: return (std::abs(dy) <= 0.25 * r && std::abs(dx) <= r) || (std::abs(dx) <= 0.25 * r && std::abs(dy) <= r);  // cross
    default: return dy <= r && dy >= -r && std::abs(dx) <= (dy + r) / 2;                          // triangle
  }
}

ImageSet make_split(int64_t count, int64_t size, Rng& rng) {
  ImageSet set;
  set.count = count;
  set.channels = 1;
  set.height = size;
  set.width = size;
  set.pixels.assign(static_cast<size_t>(count * size * size), 0);
  set.labels.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng.uniform(0, kSyntheticClasses - 1));
    const double r = static_cast<double>(rng.uniform(size / 6, size / 3));
    const double cy = static_cast<double>(rng.uniform(static_cast<int64_t>(r), size - 1 - static_cast<int64_t>(r)));
    const double cx = static_cast<double>(rng.uniform(static_cast<int64_t>(r), size - 1 - static_cast<int64_t>(r)));
    const auto brightness = static_cast<uint8_t>(rng.uniform(150, 255));
    uint8_t* image = set.pixels.data() + i * size * size;
    for (int64_t y = 0; y < size; ++y)
      for (int64_t x = 0; x < size; ++x)
        if (inside(label, static_cast<double>(y), static_cast<double>(x), cy, cx, r)) image[y * size + x] = brightness;
    set.labels[static_cast<size_t>(i)] = label;
  }
  return set;
}

}  // namespace

DatasetContent make_synthetic(const SyntheticSpec& spec) {
  require(spec.train_count > 0 && spec.test_count > 0, "synthetic dataset: --train and --test must be positive");
  require(spec.size >= 8 && spec.size <= 256, "synthetic dataset: --size must be in [8, 256]");
  Rng rng(spec.seed);
  DatasetContent content;
  content.name = "synthetic-shapes";
  content.source = "vae_data synth --seed " + std::to_string(spec.seed);
  content.train = make_split(spec.train_count, spec.size, rng);
  content.test = make_split(spec.test_count, spec.size, rng);
  return content;
}

}  // namespace vae
