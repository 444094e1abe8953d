#pragma once
// Note [Passive OpenMP wait]: LibTorch's and oneDNN's OpenMP threads busy-wait between parallel
// regions by default. On a node with any other load (a compile, another job, more ranks than
// cores) the spinning threads take the cores the working ones need: one process with 2 threads
// took 44 s for an epoch that took 5.4 s with one thread. libgomp reads OMP_WAIT_POLICY once, when
// it is loaded, so the program users start (src/start.cpp) sets it to PASSIVE before it execs
// the trainer, unless the user set a policy.
#include <string>

namespace vae {

// OMP_WAIT_POLICY as this process was started with it, which is what libgomp read (a later
// setenv does not count), lower case; "default (spinning)" when there was none.
std::string openmp_wait_policy_at_start();

}  // namespace vae
