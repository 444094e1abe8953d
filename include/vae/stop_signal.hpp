#pragma once
// Preemption. SIGTERM, SIGUSR1 and SIGINT only record that a stop was asked for (nothing else is
// safe inside a handler); the training loop reads the request at every step boundary, the ranks
// agree on it with one small all-reduce, rank 0 writes a checkpoint of that exact step, and every
// rank exits with kExitStoppedResumable. A second SIGINT ends the process at once.
namespace vae {

// The exit status of a run that stopped at a step boundary on request and can be resumed with
// `--resume auto` (EX_TEMPFAIL, "try again later"): a batch script requeues the job on it.
inline constexpr int kExitStoppedResumable = 75;

// Installs the handlers (once per process; later calls do nothing).
void install_stop_handlers();

// The signal that asked this process to stop, or 0 when none has.
int requested_stop_signal();

}  // namespace vae
