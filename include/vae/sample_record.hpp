#pragma once
// SampleRecord (--record-samples): each rank appends the training rows of every step it takes to
// <run>/sample_record/rank_NNNN.csv, one "epoch,step,row" line per sample. Put together over ranks and
// sessions, the files show what the model was trained on: every row once per epoch, whatever rank
// counts the sessions of a resumed run had (see Note [Lanes] in sample_order.hpp).
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace vae {

class SampleRecord {
 public:
  // Opens (appends to) this rank's file; throws UserError naming it when it cannot.
  SampleRecord(const std::string& run_dir, int rank);
  // Writes and flushes the step's rows, so a stopped or killed run leaves every step it took.
  void add(int epoch, int64_t step, const std::vector<int64_t>& rows);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace vae
