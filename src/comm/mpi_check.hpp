#pragma once
// Private to src/comm: the one checker for MPI calls. The message names host, rank, file:line
// and MPI's own error text.
#include <mpi.h>

namespace vae::mpi {

void check(int code, const char* call, const char* file, int line);

}  // namespace vae::mpi

#define VAE_MPI_CHECK(call) ::vae::mpi::check((call), #call, __FILE__, __LINE__)
