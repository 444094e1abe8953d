#pragma once
// The run folder (README: outputs): which one a run uses, and whether it may.
//   runs/<name>/config.json  metrics.jsonl  checkpoints/  samples/  reconstructions/
//               generated_images.gif  loss.png  latent_manifold.png  latent_scatter.png
#include <optional>
#include <string>

#include "vae/config.hpp"

namespace vae {

inline constexpr const char* kRunsRoot = "runs";

// --out when given; else the folder of the --resume checkpoint; else, for --resume auto, the
// newest folder in runs/; else a new runs/<YYYYmmdd-HHMMSS>. Call on rank 0 only (then broadcast: the clocks of ranks differ).
std::string choose_run_dir(const TrainConfig& config);

// Rank 0 only. Creates the folder and its subfolders, and deletes the temporary files a killed
// writer left there. A folder that already holds a run (checkpoints, metrics or config.json) is
// refused unless `resuming`, or cleared of that run's files with `force` (checkpoints set aside as
// damaged stay). Throws UserError naming the folder and the flags that would proceed.
void claim_run_dir(const std::string& dir, bool resuming, bool force);

// "epoch_0007.png": the name of an epoch's file in checkpoints/, samples/, reconstructions/.
std::string epoch_file_name(int epoch, const char* extension);

// Writes `json` to <dir>/config.json atomically.
void write_run_config(const std::string& dir, const std::string& json);
// The text of <dir>/config.json; none when the folder has no such file.
std::optional<std::string> read_run_config(const std::string& dir);

}  // namespace vae
