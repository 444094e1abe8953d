#include "vae/plot.hpp"

#include <plplot.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "vae/error.hpp"
#include "vae/image_grid.hpp"
#include "vae/png_io.hpp"

namespace vae {
namespace {

constexpr const char* kDriver = "memcairo";

// Colour map 0 of every plot: 0 the white background, 1 black ink, then one colour per series
// (matplotlib's tab10, so the plots read like the seed's).
constexpr PLINT kInk = 1;
constexpr PLINT kFirstSeries = 2;
constexpr std::array<PLINT, 12> kRed = {255, 0, 31, 255, 44, 214, 148, 140, 227, 127, 188, 23};
constexpr std::array<PLINT, 12> kGreen = {255, 0, 119, 127, 160, 39, 103, 86, 119, 127, 189, 190};
constexpr std::array<PLINT, 12> kBlue = {255, 0, 180, 14, 44, 40, 189, 75, 194, 127, 34, 207};

std::mutex plplot_mutex;  // PLplot's current stream is process-wide

struct Range {
  double low = 0, high = 1;
};

struct Points {
  std::vector<PLFLT> x, y;
  PLINT size() const { return static_cast<PLINT>(x.size()); }
};

// The span of the finite values, widened by 5% on each side (±0.5 around a lone value) so that
// no point sits on the frame; [0, 1] when there are none.
Range padded_range(const std::vector<const std::vector<PLFLT>*>& series) {
  double low = INFINITY, high = -INFINITY;
  for (const std::vector<PLFLT>* values : series)
    for (const PLFLT v : *values) {
      low = std::min(low, v);
      high = std::max(high, v);
    }
  if (low > high) return Range{};
  const double margin = high > low ? 0.05 * (high - low) : 0.5;
  return Range{low - margin, high + margin};
}

void require_driver(const std::string& path) {
  constexpr int kCapacity = 128;
  std::array<const char*, kCapacity> menus{}, names{};
  const char** menu_list = menus.data();
  const char** name_list = names.data();
  int count = kCapacity;
  plgDevs(&menu_list, &name_list, &count);
  const bool found = std::any_of(names.begin(), names.begin() + count,
                                 [](const char* name) { return std::strcmp(name, kDriver) == 0; });
  // Without the driver plinit would prompt for a device on stdin.
  require(found, path + ": PLplot's memcairo driver is missing (install the Debian package plplot-driver-cairo)");
}

// A new PLplot stream, current while the object lives. The destructor ends it (memcairo copies
// the picture into the caller's canvas then), even when drawing threw, and makes the previous
// stream current again.
class FreshStream {
 public:
  FreshStream() {
    plgstrm(&previous_);
    plmkstrm(&stream_);
  }
  ~FreshStream() {
    plend1();
    plsstrm(previous_);
  }
  FreshStream(const FreshStream&) = delete;
  FreshStream& operator=(const FreshStream&) = delete;

 private:
  PLINT previous_ = 0, stream_ = 0;
};

// Draws with `draw` on a white kPlotWidth × kPlotHeight RGB canvas.
Image render(const std::string& path, const std::function<void()>& draw) {
  const std::lock_guard<std::mutex> lock(plplot_mutex);
  require_driver(path);
  Image canvas;
  canvas.height = kPlotHeight;
  canvas.width = kPlotWidth;
  canvas.channels = 3;
  canvas.pixels.assign(kPlotHeight * kPlotWidth * 3, 255);  // memcairo draws over what is there
  PLINT error_code = 0;
  char error_message[1024] = "";
  {
    const FreshStream stream;
    plsError(&error_code, error_message);  // PLplot reports here instead of printing
    plsdev(kDriver);
    plsmem(static_cast<PLINT>(kPlotWidth), static_cast<PLINT>(kPlotHeight), canvas.pixels.data());
    plscmap0(kRed.data(), kGreen.data(), kBlue.data(), static_cast<PLINT>(kRed.size()));
    plinit();
    draw();
  }
  std::string message = error_message;
  message.erase(std::remove(message.begin(), message.end(), '\n'), message.end());
  require(error_code == 0, path + ": plotting failed (" + message + ")");
  return canvas;
}

// The finite (x, y) pairs.
Points finite_points(const std::vector<double>& x, const std::vector<double>& y) {
  Points points;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      points.x.push_back(x[i]);
      points.y.push_back(y[i]);
    }
  return points;
}

// PLplot's label callback for a log-2 x axis: the tick at v reads 2^v as a whole number.
void power_of_two_label(PLINT axis, PLFLT value, char* label, PLINT length, PLPointer /*data*/) {
  if (axis == PL_X_AXIS) {
    std::snprintf(label, static_cast<size_t>(length), "%.0f", std::exp2(std::round(value)));
  } else {
    std::snprintf(label, static_cast<size_t>(length), "%g", value);
  }
}

// A line through `points` with a dot on each.
void draw_line(const Points& points, PLINT colour) {
  plcol0(colour);
  plline(points.size(), points.x.data(), points.y.data());
  plstring(points.size(), points.x.data(), points.y.data(), "•");
}

void draw_legend(const std::vector<const char*>& text, const std::vector<PLINT>& colours, PLINT kind, PLINT position) {
  const auto n = static_cast<PLINT>(text.size());
  const std::vector<PLINT> options(text.size(), kind), text_colours(text.size(), kInk), styles(text.size(), 1),
      symbol_counts(text.size(), 1);
  const std::vector<PLFLT> widths(text.size(), 2.0), symbol_scales(text.size(), 1.0);
  const std::vector<const char*> symbols(text.size(), "•");
  PLFLT legend_width = 0, legend_height = 0;
  pllegend(&legend_width, &legend_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position, 0.02, 0.02, 0.08, 0,
           kInk, 1, 0, 0, n, options.data(), 1.0, 1.0, 2.0, 0.0, text_colours.data(), text.data(), nullptr, nullptr,
           nullptr, nullptr, colours.data(), styles.data(), widths.data(), colours.data(), symbol_scales.data(),
           symbol_counts.data(), symbols.data());
}

// A legend entry for each class that has points.
void draw_class_legend(const std::vector<Points>& classes) {
  std::vector<std::string> names;
  std::vector<PLINT> colours;
  for (size_t label = 0; label < classes.size(); ++label)
    if (classes[label].size() > 0) {
      names.push_back(std::to_string(label));
      colours.push_back(kFirstSeries + static_cast<PLINT>(label));
    }
  if (names.empty()) return;
  std::vector<const char*> text;
  for (const std::string& name : names) text.push_back(name.c_str());
  draw_legend(text, colours, PL_LEGEND_SYMBOL, PL_POSITION_RIGHT | PL_POSITION_OUTSIDE);
}

}  // namespace

void plot_lines(const std::string& path, const LinePlot& plot) {
  require(!plot.x.empty() && !plot.series.empty(), path + ": a line plot needs at least one x value and one series");
  std::vector<Points> lines;
  std::vector<const std::vector<PLFLT>*> xs, ys;
  std::vector<const char*> names;
  std::vector<PLINT> colours;
  std::vector<double> x_axis = plot.x;
  if (plot.x_log2) {
    for (double& v : x_axis) {
      require(v > 0, path + ": a log-2 axis needs positive x values");
      v = std::log2(v);
    }
  }
  for (const Series& series : plot.series) {
    require(series.y.size() == plot.x.size(), path + ": series '" + series.name + "' needs one value per x");
    lines.push_back(finite_points(x_axis, series.y));
    names.push_back(series.name.c_str());
    colours.push_back(kFirstSeries + static_cast<PLINT>(colours.size()));
  }
  for (const Points& points : lines) {
    xs.push_back(&points.x);
    ys.push_back(&points.y);
  }
  const Range x = padded_range(xs);
  Range y = padded_range(ys);
  if (plot.y_from_zero) y.low = 0;
  write_png(path, render(path, [&] {
              plcol0(kInk);
              if (plot.x_log2) {  // ticks at whole powers of two, labelled 1, 2, 4, …
                plenv(x.low, x.high, y.low, y.high, 0, -2);
                plslabelfunc(power_of_two_label, nullptr);
                plbox("bcnsto", 1.0, 0, "bcnstv", 0, 0);
                plslabelfunc(nullptr, nullptr);
              } else {
                plenv(x.low, x.high, y.low, y.high, 0, 0);
              }
              pllab(plot.x_label.c_str(), plot.y_label.c_str(), plot.title.c_str());
              plwidth(2.0);
              for (size_t i = 0; i < lines.size(); ++i) draw_line(lines[i], colours[i]);
              draw_legend(names, colours, PL_LEGEND_LINE | PL_LEGEND_SYMBOL,
                          (plot.y_from_zero ? PL_POSITION_BOTTOM : PL_POSITION_TOP) | PL_POSITION_RIGHT | PL_POSITION_INSIDE);
            }));
}

void plot_loss_curves(const std::string& path, const std::vector<double>& epochs, const std::vector<double>& train,
                      const std::vector<double>& test) {
  require(!epochs.empty() && train.size() == epochs.size() && test.size() == epochs.size(),
          path + ": loss curves need one train and one test loss per epoch");
  plot_lines(path, LinePlot{"Loss per epoch", "epoch", "−ELBO (nats per image)", epochs, {{"train", train}, {"test", test}}, false});
}

void plot_latent_scatter(const std::string& path, const std::vector<float>& x, const std::vector<float>& y,
                         const std::vector<int64_t>& labels) {
  require(!x.empty() && y.size() == x.size(), path + ": a latent scatter needs as many x as y values, at least one");
  require(labels.empty() || labels.size() == x.size(), path + ": a latent scatter needs one label per point, or none");
  std::vector<Points> classes(labels.empty() ? 1 : kPlotClasses);
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t label = labels.empty() ? 0 : labels[i];
    require(label >= 0 && label < kPlotClasses,
            path + ": latent scatter labels must be 0..9, got " + std::to_string(label));
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    classes[label].x.push_back(x[i]);
    classes[label].y.push_back(y[i]);
  }
  std::vector<const std::vector<PLFLT>*> xs, ys;
  for (const Points& points : classes) {
    xs.push_back(&points.x);
    ys.push_back(&points.y);
  }
  const Range x_range = padded_range(xs), y_range = padded_range(ys);
  write_png(path, render(path, [&] {
              pladv(0);
              plvpor(0.1, 0.85, 0.1, 0.9);
              plwind(x_range.low, x_range.high, y_range.low, y_range.high);
              plcol0(kInk);
              plbox("bcnst", 0, 0, "bcnstv", 0, 0);
              pllab("z₁", "z₂", "Latent space");
              plschr(0, x.size() > 1000 ? 0.5 : 1.0);  // small dots when there are many
              for (size_t label = 0; label < classes.size(); ++label) {
                plcol0(kFirstSeries + static_cast<PLINT>(label));
                plstring(classes[label].size(), classes[label].x.data(), classes[label].y.data(), "•");
              }
              plschr(0, 1.0);
              if (!labels.empty()) draw_class_legend(classes);
            }));
}

}  // namespace vae
