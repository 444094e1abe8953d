#include "vae/stop_signal.hpp"

#include <csignal>
#include <initializer_list>

namespace vae {
namespace {

// Written by the handler on whichever thread the signal lands (the writer's, OpenMP's, MPI's),
// read by the main thread: lock-free atomics are what the language makes safe for that.
std::atomic<int> g_requested{0};  // the first stop signal, 0 before any
std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free);

constexpr int kStopSignals[] = {SIGTERM, SIGUSR1, SIGINT};

sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal_number : kStopSignals) sigaddset(&set, signal_number);
  return set;
}

extern "C" void on_stop_signal(int signal_number) {
  if (signal_number == SIGINT && g_interrupts.fetch_add(1) >= 1) {  // a second Ctrl-C: stop now, as without vae_dist's handler
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  int none = 0;
  g_requested.compare_exchange_strong(none, signal_number);
}

}  // namespace

void install_stop_handlers() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    action.sa_flags = SA_RESTART;  // MPI's and HDF5's system calls go on undisturbed
    sigemptyset(&action.sa_mask);
    for (int signal_number : kStopSignals) sigaction(signal_number, &action, nullptr);
    const sigset_t set = stop_signal_set();
    sigprocmask(SIG_UNBLOCK, &set, nullptr);  // a stop that waited, pending, is handled here
    return true;
  }();
  (void)installed;
}

void restore_default_stop_handlers() {
  for (int signal_number : kStopSignals) std::signal(signal_number, SIG_DFL);
  const sigset_t set = stop_signal_set();
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  if (const int recorded = g_requested.load(); recorded != 0) std::raise(recorded);
}

int requested_stop_signal() { return g_requested.load(); }

}  // namespace vae
