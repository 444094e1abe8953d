// The --results line: every field the scaling driver reads, appended whole, one line per run.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "vae/error.hpp"
#include "vae/run_summary.hpp"

namespace vae {
namespace {

TEST(RunSummary, AppendsOneJsonLinePerRunWithEveryField) {
  testing::TempDir dir;
  const std::string path = dir.file("results.jsonl");
  RunSummary first;
  first.ranks = 2;
  first.global_batch = 128;
  first.train_s = 19.5;
  first.label = "strong";
  RunSummary second = first;
  second.ranks = 1;
  append_line(path, to_json_line(first));
  append_line(path, to_json_line(second));
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["ranks"], 2);
  EXPECT_EQ(lines[1]["ranks"], 1);
  EXPECT_EQ(lines[0]["label"], "strong");
  for (const char* key : {"ranks", "nodes", "threads", "per_rank_batch", "global_batch", "epochs", "steps_per_epoch", "train_s", "test_s",
                          "iw_s", "process_s", "images_per_s", "host", "cores", "oversubscribed", "label"})
    EXPECT_TRUE(lines[0].contains(key)) << key;
}

TEST(RunSummary, AnUnwritableFileIsAUserErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.file("missing/results.jsonl");
  try {
    append_line(path, "{}");
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(RunSummary, ProcessSecondsCountFromTheProcessStart) {
  const double seconds = process_seconds();
  EXPECT_GT(seconds, 0.0);
  EXPECT_LT(seconds, 3600.0);  // this test process started moments ago
}

}  // namespace
}  // namespace vae
