#include "vae/cli.hpp"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "vae/build_info.hpp"
#include "vae/error.hpp"

namespace vae {
namespace {

// CLI11's own PositiveNumber lets nan and inf through and words a refusal as a range up to the
// largest double (300 digits). These say the allowed values in words: "--epochs: must be a whole
// number, 1 or more (got 0)".
template <typename Int>
CLI::Validator count_flag(const Int&) {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        const long long value = std::strtoll(text.c_str(), &end, 10);
        if (end == text.c_str() || *end != '\0' || errno != 0 || value < 1) return "must be a whole number, 1 or more (got " + text + ")";
        if (static_cast<unsigned long long>(value) > static_cast<unsigned long long>(std::numeric_limits<Int>::max()))
          return "must be at most " + std::to_string(std::numeric_limits<Int>::max()) + " (got " + text + ")";
        return "";
      },
      "");
}

// --seed: any whole number from 0 (CLI11 alone would wrap -1 to 2^64 − 1).
CLI::Validator seed_flag() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        std::strtoull(text.c_str(), &end, 10);
        if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])) || *end != '\0' || errno != 0)
          return "must be a whole number from 0 to 18446744073709551615 (got " + text + ")";
        return "";
      },
      "");
}

// A file or folder name: an empty one (`--data ""`, an unset variable in a script) would
// otherwise mean "the default".
CLI::Validator path_flag() {
  return CLI::Validator([](std::string& text) -> std::string { return text.empty() ? "must name a file or folder (got an empty string)" : ""; }, "");
}

// The smallest value a real flag takes, and whether that value itself is allowed.
struct AtLeast {
  double value;
  bool inclusive;
};
constexpr AtLeast kZeroAllowed{0, true}, kZeroRefused{0, false};

CLI::Validator real_flag(AtLeast lower, double at_most = std::numeric_limits<double>::infinity()) {
  return CLI::Validator(
      [lower, at_most](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        const bool in_range = std::isfinite(value) && (lower.inclusive ? value >= lower.value : value > lower.value) && value <= at_most;
        const auto number = [](double x) { return (std::ostringstream() << x).str(); };
        if (end == text.c_str() || *end != '\0' || !in_range)
          return "must be a finite number, " + (lower.inclusive ? (lower.value == 0 ? "0 or more" : "at least " + number(lower.value)) : "above " + number(lower.value)) +
                 (std::isinf(at_most) ? "" : " and at most " + number(at_most)) + " (got " + text + ")";
        return "";
      },
      "");
}

constexpr const char* kLayoutHelp =
    "the images' axes: auto reads 3-D as N×H×W and 4-D as N×H×W×C when the last axis is 1, 3 or 4 and the second is not, "
    "else N×C×H×W; nchw or nhwc settles a shape that could be either";

void add_dataset_key_flags(CLI::App& app, std::string& train_key, std::string& test_key) {
  app.add_option("--train-key", train_key, "the HDF5 dataset of training images (default: /train/images; labels beside it as .../labels)");
  app.add_option("--test-key", test_key, "the HDF5 dataset of test images (default: /test/images)");
}

constexpr const char* kTestFractionHelp =
    "for a file without a test split: test on every k-th training row, k = round(1/F) (0.1: rows 9, 19, 29, …), train on the rest";

void add_kernels_flag(CLI::App& app, Kernels& kernels) {
  app.add_option("--kernels", kernels,
                 "the ConvVAE's CPU kernels: fast (oneDNN, for the conv model on the 32×32 canvas; the MLP model, larger canvases and GPUs use torch) or torch "
                 "(LibTorch's own); the same model and checkpoints either way")
      ->transform(CLI::CheckedTransformer(std::map<std::string, Kernels>{{"fast", Kernels::kFast}, {"torch", Kernels::kTorch}}))
      ->option_text("fast|torch (default: fast)");
}

void add_training_flags(CLI::App& app, TrainConfig& c) {
  app.add_option("--data", c.data_path, "HDF5 dataset (default: Fashion-MNIST, converted on first use to $VAE_DIST_DATA or ~/.cache/vae_dist/fashion-mnist.h5)")->check(path_flag());
  add_dataset_key_flags(app, c.data_keys.train, c.data_keys.test);
  app.add_option_function<std::string>("--layout", [&c](const std::string& flag) { c.data_keys.layout = layout_from_flag(flag); },
                                       kLayoutHelp)
      ->check(CLI::IsMember(layout_flags()))
      ->option_text("auto|nchw|nhwc|nhw (default: auto)");
  app.add_option_function<double>("--test-fraction", [&c](double fraction) { c.data_keys.test_every = test_every_from_fraction(fraction); },
                                  kTestFractionHelp)
      ->check(real_flag(kZeroRefused, 0.5));
  app.add_option("--model", c.model, "conv (the seed's ConvVAE, 32×32 canvas) or mlp (the fully-connected VAE)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, ModelKind>{{"conv", ModelKind::kConv}, {"mlp", ModelKind::kMlp}}))
      ->option_text("conv|mlp (default: conv)");
  app.add_option("--latent-dim,--latent_dim", c.latent_dim, "size of the latent vector z")->capture_default_str()->check(count_flag(c.latent_dim));
  app.add_option("--epochs", c.epochs, "passes over the training set")->capture_default_str()->check(count_flag(c.epochs));
  app.add_option("--batch-size,--batch_size", c.batch_size, "images per step on each rank; the global batch is this × ranks")
      ->capture_default_str()
      ->check(count_flag(c.batch_size));
  app.add_option("--global-batch-size,--global_batch_size", c.global_batch_size,
                 "images per step over all ranks (overrides --batch-size; ranks take ⌊B/ranks⌋ or ⌈B/ranks⌉ each). Fixed for the run: "
                 "a resume on any rank count keeps it")
      ->check(count_flag(c.global_batch_size));
  app.add_flag("--new-global-batch", c.new_global_batch,
               "on --resume from an epoch-end checkpoint, accept a global batch other than the checkpoint's (the sample order changes)");
  app.add_option("--lr", c.lr, "Adam learning rate")->capture_default_str()->check(real_flag(kZeroRefused));
  app.add_option("--beta", c.beta, "weight of the KL term (β-VAE); 1 is the ELBO")->capture_default_str()->check(real_flag(kZeroAllowed));
  app.add_option("--seed", c.seed, "seeds the weights, the shuffles and the noise")->capture_default_str()->check(seed_flag());
  app.add_option("--threads", c.threads, "intra-op threads per rank (default: the node's cores divided among its ranks, at least 1)")
      ->check(count_flag(c.threads));
  add_kernels_flag(app, c.kernels);
  app.add_option("--remainder", c.remainder,
                 "the rows that do not fill a last global batch: partial (a smaller last step; every row once per epoch) or drop "
                 "(left to a later epoch's shuffle)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, Remainder>{{"partial", Remainder::kPartial}, {"drop", Remainder::kDrop}}))
      ->option_text("partial|drop (default: partial)");
  app.add_flag_callback("--no-shuffle", [&c] { c.shuffle = Shuffle::kOff; }, "take each lane's rows in file order");
  app.add_option("--bucket-mb,--bucket_mb", c.bucket_mb, "gradient bucket size in MiB (the first bucket is a quarter of it)")
      ->capture_default_str()
      ->check(real_flag(kZeroRefused));
  app.add_flag_callback("--no-overlap", [&c] { c.overlap = Overlap::kOff; },
                        "one fused all-reduce after backward instead of buckets overlapped with it");
  app.add_option("--max-steps", c.max_steps, "stop each epoch after this many steps (for quick checks)")->check(count_flag(c.max_steps));
  app.add_option("--collective-timeout", c.collective_timeout_s,
                 "seconds any collective (a start-up check, a gradient all-reduce, a step's stop vote) may wait before the job is aborted, "
                 "naming the ranks it has not heard from; at least 1")
      ->capture_default_str()
      ->check(real_flag({1, true}));  // shorter waits end healthy jobs while their ranks start
  app.add_flag_callback("--no-failure-checkpoint", [&c] { c.failure_checkpoint = false; },
                        "when a peer is lost, do not save the last step every rank completed (the job then resumes from the last "
                        "--checkpoint-every or --checkpoint-every-minutes checkpoint)");
  app.add_flag("--force", c.force, "start over in an output folder that holds another run (deletes that run's files)");
  app.add_option("--resume", c.resume,
                 "continue from a checkpoint: a path, or `auto` for the newest valid one in --out (the newest run when --out is not given; "
                 "starts fresh when there is none)")->check(path_flag());
  app.add_option("--checkpoint-every", c.checkpoint_every, "epochs between checkpoints (one is always written at the end)")
      ->capture_default_str()
      ->check(count_flag(c.checkpoint_every));
  app.add_option("--checkpoint-every-minutes", c.checkpoint_every_minutes,
                 "also write a checkpoint mid-epoch at the first step this many minutes after the last one (long epochs)")
      ->check(real_flag(kZeroRefused));
  app.add_option("--keep", c.keep, "checkpoints kept in the run folder")->capture_default_str()->check(count_flag(c.keep));
  app.add_option("--iw-every", c.iw_every, "epochs between importance-weighted NLL estimates (one is always made at the end)")
      ->capture_default_str()
      ->check(count_flag(c.iw_every));
  app.add_option("--iw-samples", c.iw_samples, "importance samples K per image")->capture_default_str()->check(count_flag(c.iw_samples));
  app.add_option("--iw-subset", c.iw_subset, "test images the IW estimate uses, spread evenly over the test split")->capture_default_str()->check(count_flag(c.iw_subset));
  app.add_option("--results", c.results_path,
                 "append one JSON line of this run's timings to FILE at the end (scaling studies; format in bench/README.md)")->check(path_flag());
  app.add_option("--gif-delay", c.gif_delay_cs, "delay between GIF frames, in 1/100 s")->capture_default_str()->check(CLI::Range(1, 65535));
  // Last, so that --help lists the groups in group_training_flags' order (CLI11 orders them by first flag).
  app.add_option("--out", c.out_dir, "run folder for checkpoints, metrics and pictures (default: runs/<date>-<time>)")->check(path_flag());
  app.add_flag("--record-samples", c.record_samples,
               "each rank appends the training rows of every step to <out>/sample_record/rank_NNNN.csv (epoch,step,row)");
}

// `vae_dist --help` lists the training flags in these groups, in this order.
void group_training_flags(CLI::App& app) {
  const std::pair<const char*, std::vector<const char*>> groups[] = {
      {"Data", {"--data", "--train-key", "--test-key", "--layout", "--test-fraction"}},
      {"Model", {"--model", "--latent-dim", "--beta"}},
      {"Training", {"--epochs", "--batch-size", "--global-batch-size", "--new-global-batch", "--lr", "--seed", "--remainder", "--no-shuffle", "--max-steps"}},
      {"Parallelism", {"--threads", "--kernels", "--bucket-mb", "--no-overlap", "--collective-timeout"}},
      {"Checkpoints", {"--resume", "--force", "--checkpoint-every", "--checkpoint-every-minutes", "--no-failure-checkpoint", "--keep"}},
      {"Evaluation", {"--iw-every", "--iw-samples", "--iw-subset"}},
      {"Outputs", {"--out", "--gif-delay", "--record-samples", "--results"}},
  };
  for (const auto& [group, flags] : groups)
    for (const char* flag : flags) app.get_option(flag)->group(group);
}

void add_evaluate_flags(CLI::App& app, EvaluateConfig& c) {
  app.add_option("--checkpoint", c.checkpoint, "checkpoint file (runs/<name>/checkpoints/epoch_NNNN.pt)")->required()->check(path_flag());
  app.add_option("--data", c.data_path, "HDF5 dataset (default: the one the checkpoint was trained on)")->check(path_flag());
  add_dataset_key_flags(app, c.train_key, c.test_key);
  app.add_option("--layout", c.layout, kLayoutHelp)->check(CLI::IsMember(layout_flags()));
  app.add_option("--out", c.out_dir, "folder for the grids (default: <run>/evaluation)")->check(path_flag());
  app.add_option("--num-samples,--num_samples", c.num_samples, "images in the samples and reconstruction grids")
      ->capture_default_str()
      ->check(count_flag(c.num_samples));
  app.add_option("--iw-samples", c.iw_samples, "importance samples K per image")->capture_default_str()->check(count_flag(c.iw_samples));
  app.add_option("--iw-subset", c.iw_subset, "test images the IW estimate uses, spread evenly over the test split")->capture_default_str()->check(count_flag(c.iw_subset));
  app.add_option("--threads", c.threads, "intra-op threads per rank")->check(count_flag(c.threads));
  add_kernels_flag(app, c.kernels);
  app.add_option("--seed", c.seed, "seeds the noise of the estimates")->capture_default_str()->check(seed_flag());
}

void add_sample_flags(CLI::App& app, SampleConfig& c) {
  app.add_option("--checkpoint", c.checkpoint, "checkpoint file (runs/<name>/checkpoints/epoch_NNNN.pt)")->required()->check(path_flag());
  app.add_option("--out", c.out_dir, "folder for the pictures (default: <run>/samples_from_<checkpoint>)")->check(path_flag());
  app.add_option("--num-samples,--num_samples", c.num_samples, "images to draw")->capture_default_str()->check(count_flag(c.num_samples));
  app.add_option("--seed", c.seed, "seeds the latent draws")->capture_default_str()->check(seed_flag());
}

}  // namespace

Command parse_command_line(int argc, char** argv, bool print) {
  Command command;
  CLI::App app{"vae_dist: data-parallel training of a convolutional VAE (Kingma & Welling 2013).\n"
               "Run under mpirun for several ranks: mpirun -n 8 vae_dist --epochs 50",
               "vae_dist"};
  app.get_formatter()->column_width(34);
  app.set_version_flag("--version", version_text, "print the version, the commit and what this build has, then exit");
  app.allow_config_extras(false);  // a misspelt key in a --config file is an error, not ignored
  app.set_config("--config", "",
                 "read flags from a TOML file, one `name = value` line per flag named as its long form (epochs = 50, latent-dim = 16, "
                 "data = \"/shared/fm.h5\"); flags on the command line win")
      ->check(CLI::ExistingFile);
  add_training_flags(app, command.train);
  group_training_flags(app);
  auto* evaluate = app.add_subcommand("evaluate", "test ELBO and importance-weighted NLL of a checkpoint, with sample and reconstruction grids");
  add_evaluate_flags(*evaluate, command.evaluate);
  auto* sample = app.add_subcommand("sample", "draw images from a checkpoint (and the latent manifold for a 2-D latent); needs no dataset");
  add_sample_flags(*sample, command.sample);
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
    for (const CLI::Option* option : app.get_options())
      if (option->count() > 0 && !option->get_lnames().empty()) command.train.given.insert(option->get_lnames().front());
    if (evaluate->parsed()) command.kind = Command::Kind::kEvaluate;
    if (sample->parsed()) command.kind = Command::Kind::kSample;
  } catch (const CLI::ParseError& error) {
    command.kind = Command::Kind::kExit;
    // --help is a success; every other parse error is a usage error, exit status 2 (README: exit statuses).
    const int printed = print ? app.exit(error) : error.get_exit_code();
    command.exit_code = printed == 0 ? 0 : kExitBadFlags;
  }
  return command;
}

}  // namespace vae
