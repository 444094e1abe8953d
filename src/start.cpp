// vae_dist, the program users start: it sets up the process in a millisecond, then becomes the
// trainer (vae_dist-core, which links LibTorch, oneDNN and Open MPI and takes a few tenths of a
// second to load) by exec, keeping its pid, so mpirun and Slurm see one process throughout.
// It needs nothing but libc, so that it is running before anything could go wrong:
// - Note [Stop signals from the first instruction] (stop_signal.hpp): SIGTERM, SIGUSR1 and SIGINT
//   are blocked here; the block outlives the exec, a stop sent while the trainer loads stays
//   pending, and the trainer records it once its handlers are in place (exit 75, not death).
// - Note [Passive OpenMP wait] (openmp_wait.hpp): OMP_WAIT_POLICY=PASSIVE is set unless the user
//   set a policy, before libgomp is loaded and reads it.
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// The folder this program lives in.
std::string own_folder() {
  char path[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length <= 0) return ".";
  const std::string self(path, static_cast<size_t>(length));
  return self.substr(0, self.find_last_of('/'));
}

// The trainer: beside this program (a build tree), or where `cmake --install` puts it.
std::string core_program() {
  const std::string folder = own_folder();
  for (const std::string& candidate : {folder + "/vae_dist-core", folder + "/../libexec/vae_dist/vae_dist-core"})
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  return "";
}

}  // namespace

int main(int, char** argv) {
  sigset_t stops;
  sigemptyset(&stops);
  for (int signal_number : {SIGTERM, SIGUSR1, SIGINT}) sigaddset(&stops, signal_number);
  sigprocmask(SIG_BLOCK, &stops, nullptr);
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  const std::string core = core_program();
  if (core.empty()) {
    std::fprintf(stderr, "vae_dist: error: vae_dist-core is missing beside %s and in ../libexec/vae_dist: reinstall vae_dist (cmake --install build)\n",
                 own_folder().c_str());
    return 1;
  }
  execv(core.c_str(), argv);
  std::fprintf(stderr, "vae_dist: error: cannot start %s (%s)\n", core.c_str(), std::strerror(errno));
  return 1;
}
