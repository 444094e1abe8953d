#pragma once
// The one-line summary of a training run that scaling studies collect: `vae_dist --results FILE`
// appends it when the run ends, on a workstation (bench/scaling.py) or in a Slurm job array
// (slurm/), and bench/scaling.py reads either into the same table. One JSON object per line:
//   {"ranks":2,"nodes":1,"threads":1,"per_rank_batch":64,"global_batch":128,"epochs":1,
//    "steps_per_epoch":469,"train_s":19.9,"test_s":1.3,"iw_s":10.5,"process_s":32.4,
//    "images_per_s":3015,"host":"node01","cores":2,"oversubscribed":false,"label":""}
// train_s, test_s and iw_s are summed over the run's epochs (slowest rank each time); process_s
// is rank 0's whole process, start-up and the last file writes included.
#include <string>

namespace vae {

struct RunSummary {
  int ranks = 1, nodes = 1, threads = 1;
  int64_t per_rank_batch = 0, global_batch = 0;
  int epochs = 0;
  int64_t steps_per_epoch = 0;
  double train_s = 0, test_s = 0, iw_s = 0, process_s = 0, images_per_s = 0;
  std::string host;
  int cores = 0;                // cores of rank 0's node
  bool oversubscribed = false;  // more ranks × threads than cores on rank 0's node
  std::string label;            // free text from $VAE_RESULTS_LABEL (e.g. "strong")
};

std::string to_json_line(const RunSummary& summary);

// Appends `line` and a newline to `path` with one write (O_APPEND), so the jobs of an array can
// share a file. Throws UserError naming the file.
void append_line(const std::string& path, const std::string& line);

// Seconds since this process started (Linux: /proc/self/stat against /proc/uptime; 10 ms steps).
double process_seconds();

}  // namespace vae
