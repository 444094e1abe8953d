#include "mpi_check.hpp"

#include <stdexcept>
#include <string>

namespace vae::mpi {

void check(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  char host[MPI_MAX_PROCESSOR_NAME];
  int host_length = 0;
  MPI_Get_processor_name(host, &host_length);
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  throw std::runtime_error(std::string(host, static_cast<size_t>(host_length)) + " rank " + std::to_string(rank) + ": " + call +
                           " failed at " + file + ":" + std::to_string(line) + ": " + std::string(text, static_cast<size_t>(length)));
}

}  // namespace vae::mpi
