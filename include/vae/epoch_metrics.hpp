#pragma once
// What one epoch measured, summed over every rank: the record shared by the progress line and
// metrics.jsonl.
#include <cstdint>

namespace vae {

struct EpochMetrics {
  int epoch = 0;              // 1-based
  int epochs = 0;
  int64_t step = 0;           // optimizer steps so far
  double train_loss = 0;      // −ELBO, nats per image, averaged over the epoch's training images
  double train_kl = 0;        // the KL part of it
  double test_loss = 0;       // −ELBO, nats per image, over the whole test split
  double test_kl = 0;
  double test_iw_nll = 0;     // importance-weighted −log p(x), nats per image; 0 when not measured this epoch
  double images_per_s = 0;    // training images of every rank per second of the epoch
  double epoch_s = 0;         // the training loop of the slowest rank
  double test_s = 0;          // the test −ELBO pass (slowest rank)
  double iw_s = 0;            // the importance-weighted NLL pass (slowest rank); 0 when not measured
  double outputs_s = 0;       // rank 0's time on the training path for checkpoint, metrics and pictures
  double elapsed_s = 0;
  double eta_s = 0;
  int world_size = 1;
};

}  // namespace vae
