#pragma once
// What a failed or finished write must not leave behind: files under a writer's temporary name.
#include <filesystem>
#include <string>
#include <vector>

namespace vae::testing {

// The files in `folder` a writer left under a temporary name (`*.tmp`).
inline std::vector<std::string> temporaries_in(const std::filesystem::path& folder) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.path().extension() == ".tmp") found.push_back(entry.path().filename().string());
  return found;
}

}  // namespace vae::testing
