#include "vae/sample_record.hpp"

#include <cstdio>
#include <filesystem>

#include "vae/error.hpp"

namespace vae {

SampleRecord::SampleRecord(const std::string& run_dir, int rank) {
  const auto folder = std::filesystem::path(run_dir) / "sample_record";
  std::error_code ignored;  // every rank creates it; one wins
  std::filesystem::create_directories(folder, ignored);
  char name[32];
  std::snprintf(name, sizeof(name), "rank_%04d.csv", rank);
  path_ = (folder / name).string();
  out_.open(path_, std::ios::app);
  require(out_.good(), path_ + ": cannot open the sample record for writing: check the run folder's permissions and free space");
}

void SampleRecord::add(int epoch, int64_t step, const std::vector<int64_t>& rows) {
  for (int64_t row : rows) out_ << epoch << ',' << step << ',' << row << '\n';
  out_.flush();
  require(out_.good(), path_ + ": writing the sample record failed (is the disk full?)");
}

}  // namespace vae
