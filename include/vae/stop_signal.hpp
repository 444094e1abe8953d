#pragma once
// Preemption. SIGTERM, SIGUSR1 and SIGINT only record that a stop was asked for (nothing else is
// safe inside a handler); the training loop and the end-of-epoch evaluation read the request at
// every step or evaluation batch, the ranks agree on it with one small all-reduce, rank 0 writes a
// checkpoint of that exact point, and every rank exits with kExitStoppedResumable. A second SIGINT
// ends the process at once.
//
// Note [Stop signals from the first instruction]: a stop can arrive while the program is still
// starting: the dynamic loader alone takes a few tenths of a second over LibTorch's libraries,
// then MPI starts. Handlers do not survive an exec, but the signal mask does, and a blocked
// signal stays pending. So the program users start, vae_dist (src/start.cpp, libc only), blocks
// the stop signals in its first instructions and execs the trainer; the trainer installs its
// handlers first thing in main and unblocks the signals, and a stop sent meanwhile is recorded.
#include <atomic>

namespace vae {

// The exit status of a run that stopped on request and can be resumed with `--resume auto`
// (EX_TEMPFAIL, "try again later"): a batch script requeues the job on it.
inline constexpr int kExitStoppedResumable = 75;

// Installs the recording handlers, then unblocks the stop signals (once per process; later calls
// do nothing). A stop that arrived while they were blocked is recorded now.
void install_stop_handlers();

// For a command that does not checkpoint (evaluate, sample, --help): the stop signals get their
// default action back, and one that was already recorded takes that action now.
void restore_default_stop_handlers();

// The signal that asked this process to stop, or 0 when none has.
int requested_stop_signal();

}  // namespace vae
