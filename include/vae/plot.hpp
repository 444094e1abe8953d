#pragma once
// Rank 0's plots (loss.png, latent_scatter.png), drawn with PLplot's memcairo driver into memory
// and saved with write_png, so they are atomic like every picture (see png_io.hpp). PLplot prints
// nothing and never exits the process from here; each call is self-contained (its own PLplot
// stream, ended before returning) and calls are serialised, as PLplot keeps global state.
// Needs the Debian package plplot-driver-cairo at run time.
#include <cstdint>
#include <string>
#include <vector>

namespace vae {

// Classes the latent scatter tells apart by colour (labels 0..9).
inline constexpr int kPlotClasses = 10;

// Every plot is this size, in pixels.
constexpr int64_t kPlotWidth = 800;
constexpr int64_t kPlotHeight = 600;

// One named line of a line plot: a y value for each x.
struct Series {
  std::string name;
  std::vector<double> y;
};

// Lines with markers against a shared x, with axis labels, a title and a legend; non-finite
// points are left out. `y_from_zero`: the y axis starts at 0 and the legend sits at the bottom
// right (ratios and efficiencies, whose lines run near the top). Throws UserError naming the file
// on bad input (no x, a series of another length), a missing PLplot driver or a failed write.
struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<double> x;
  std::vector<Series> series;
  bool y_from_zero = false;
  bool x_log2 = false;  // x on a log-2 axis, ticked at whole powers of two (node or rank counts)
};
void plot_lines(const std::string& path, const LinePlot& plot);

// −ELBO per epoch for the train and test splits (nats per image), as lines with markers, with
// axis labels, a title and a legend. The three vectors are the same length (at least one epoch);
// non-finite losses (a diverged step, an epoch without a test pass) are left out. Throws
// UserError naming the file on bad input, a missing PLplot driver or a failed write.
void plot_loss_curves(const std::string& path, const std::vector<double>& epochs, const std::vector<double>& train,
                      const std::vector<double>& test);

// A scatter of 2-D latent points coloured by class label (0..9, with a legend); `labels` is
// empty for an unlabelled dataset (one colour, no legend), else one per point. Non-finite points
// are left out. Throws UserError naming the file on bad input, a missing PLplot driver or a
// failed write.
void plot_latent_scatter(const std::string& path, const std::vector<float>& x, const std::vector<float>& y,
                         const std::vector<int64_t>& labels);

}  // namespace vae
