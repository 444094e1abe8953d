#include "vae/run_reporter.hpp"

#include <cstdio>
#include <filesystem>

#include "vae/gif_writer.hpp"
#include "vae/pictures.hpp"
#include "vae/plot.hpp"
#include "vae/png_io.hpp"
#include "vae/run_dir.hpp"
#include "vae/seeds.hpp"

namespace vae {

RunReporter::RunReporter(Options options, const VaeModel& model, torch::Tensor reconstruct, torch::Tensor scatter,
                         std::vector<int64_t> labels, int completed_epochs)
    : options_(std::move(options)),
      latents_(fixed_latents(options_.samples, model.spec().latent_dim, derive_seed({static_cast<uint64_t>(Stream::kSampleGrid), options_.seed}))),
      reconstruct_(std::move(reconstruct)),
      scatter_(std::move(scatter)),
      labels_(std::move(labels)) {
  const std::string gif = path("generated_images.gif");
  if (completed_epochs > 0 && std::filesystem::exists(gif)) {
    try {
      frames_ = read_gif(gif);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "vae_dist: warning: %s; the animation starts again\n", error.what());
    }
    if (static_cast<int>(frames_.size()) > completed_epochs) frames_.resize(static_cast<size_t>(completed_epochs));
  }
}

std::string RunReporter::path(const std::string& name) const { return (std::filesystem::path(options_.run_dir) / name).string(); }

void RunReporter::epoch_end(VaeModel& model, int epoch, const std::vector<EpochMetrics>& history) {
  const Image samples = grid_of(decode_images(model, latents_), options_.nrow);
  write_png(path("samples/" + epoch_file_name(epoch, "png")), samples);
  write_png(path("reconstructions/" + epoch_file_name(epoch, "png")), reconstruction_grid(model, reconstruct_, options_.nrow));
  frames_.push_back(samples);
  write_gif(path("generated_images.gif"), frames_, options_.gif_delay_cs);

  std::vector<double> epochs, train, test;
  for (const auto& m : history) {
    epochs.push_back(m.epoch);
    train.push_back(m.train_loss);
    test.push_back(m.test_loss);
  }
  plot_loss_curves(path("loss.png"), epochs, train, test);

  if (model.spec().latent_dim != 2) return;
  write_png(path("latent_manifold.png"), latent_manifold(model, options_.manifold_side));
  const auto means = posterior_means(model, scatter_).contiguous();
  const auto x = means.select(1, 0).contiguous(), y = means.select(1, 1).contiguous();
  plot_latent_scatter(path("latent_scatter.png"), std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + x.numel()),
                      std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel()), labels_);
}

}  // namespace vae
