#include "vae/stop_signal.hpp"

#include <csignal>
#include <initializer_list>

namespace vae {
namespace {

volatile std::sig_atomic_t g_requested = 0;  // the first stop signal, 0 before any
volatile std::sig_atomic_t g_interrupts = 0;

extern "C" void on_stop_signal(int signal_number) {
  if (signal_number == SIGINT && ++g_interrupts > 1) {  // a second Ctrl-C: stop now, as without vae_dist's handler
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  if (g_requested == 0) g_requested = signal_number;
}

}  // namespace

void install_stop_handlers() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    action.sa_flags = SA_RESTART;  // MPI's and HDF5's system calls go on undisturbed
    sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGTERM, SIGUSR1, SIGINT}) sigaction(signal_number, &action, nullptr);
    return true;
  }();
  (void)installed;
}

int requested_stop_signal() { return g_requested; }

}  // namespace vae
