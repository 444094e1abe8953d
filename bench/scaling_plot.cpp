// Draws an efficiency table as a PNG with the project's PLplot writer (bench/scaling.py's
// measurements, bench/simulate_scaling.sh's predictions):
//   vae_scaling_plot TABLE.csv OUT.png [TITLE]
// The CSV's header names the columns; the first column (ranks, nodes) is x, on a log-2 axis
// ticked at whole powers of two, and every column whose name ends in `_efficiency` is a line.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "vae/plot.hpp"

namespace {

// The cells of a CSV line (no quoting), a Windows line end dropped.
std::vector<std::string> split(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> cells;
  std::stringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();  // getline drops a last empty cell
  return cells;
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: vae_scaling_plot TABLE.csv OUT.png [TITLE]\n");
    return 2;
  }
  try {
    std::ifstream csv(argv[1]);
    std::string line;
    if (!std::getline(csv, line)) throw std::runtime_error(std::string(argv[1]) + ": empty or unreadable");
    const std::vector<std::string> header = split(line);
    if (header.empty()) throw std::runtime_error(std::string(argv[1]) + ": no header");
    vae::LinePlot plot{argc == 4 ? argv[3] : "Scaling efficiency", header[0], "efficiency (1 = ideal)", {}, {}, true, true};
    std::vector<size_t> columns;
    for (size_t c = 1; c < header.size(); ++c) {
      if (ends_with(header[c], "_efficiency")) {
        columns.push_back(c);
        plot.series.push_back({header[c].substr(0, header[c].size() - std::string("_efficiency").size()), {}});
      }
    }
    if (columns.empty()) throw std::runtime_error(std::string(argv[1]) + ": needs at least one '*_efficiency' column after the first");
    while (std::getline(csv, line)) {
      const std::vector<std::string> cells = split(line);
      if (cells.size() != header.size()) continue;
      plot.x.push_back(std::stod(cells[0]));
      for (size_t k = 0; k < columns.size(); ++k) {
        const std::string& cell = cells[columns[k]];
        plot.series[k].y.push_back(cell.empty() ? NAN : std::stod(cell));
      }
    }
    vae::plot_lines(argv[2], plot);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "vae_scaling_plot: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
