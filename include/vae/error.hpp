#pragma once
// Two kinds of failure, kept apart as in PyTorch (TORCH_CHECK vs TORCH_INTERNAL_ASSERT):
// - UserError: something the user can fix (a flag, a file, a schema). One line, names the fix.
// - anything else (std::exception): a bug or a broken environment.
// `main` catches both, prints once, and ends every rank with a non-zero code: a CollectiveError
// by a clean exit on every rank, anything else by aborting the job (the other ranks may be
// waiting in a collective). Inside Runtime::all_or_none any exception, a bug's too, becomes a
// CollectiveError: every rank is there to hear of it.
#include <stdexcept>
#include <string>

namespace vae {

class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A UserError that every rank raised together (see Runtime::all_or_none): each rank can end
// cleanly with the same message instead of aborting the job.
class CollectiveError : public UserError {
 public:
  using UserError::UserError;
};

// Exit statuses (the README's table; a stop on request is kExitStoppedResumable, stop_signal.hpp).
inline constexpr int kExitError = 1;              // bad input, a failed write, a rank that failed on its own
inline constexpr int kExitBadFlags = 2;           // the command line (CLI11 prints what is wrong)
inline constexpr int kExitCollectiveTimeout = 3;  // a collective waited --collective-timeout: the job is aborted

// Throws UserError(message) unless `condition` holds.
void require(bool condition, const std::string& message);

}  // namespace vae
