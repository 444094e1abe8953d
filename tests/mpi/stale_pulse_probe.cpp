// A job whose rank 2 goes silent after an earlier stall in which it pulsed (Note [Naming a lost
// peer] in src/comm/liveness.hpp): rank 0 must name it when its collective times out. Run with 3
// ranks; ends by the collective timeout (exit status 3), and the test reads rank 0's message.
//   Stall 1: rank 0 comes 3 s late to a barrier; ranks 1 and 2 wait past the stall warning (2 s)
//            and pulse, and rank 0, busy, leaves their pulses queued.
//   Stall 2: rank 2 hangs outside MPI; ranks 0 and 1 wait 4 s in a barrier and give up. Rank 0
//            still has rank 2's pulses of stall 1 queued: they must not count as a sign of life.
#include <unistd.h>

#include "vae/runtime.hpp"

int main(int argc, char** argv) {
  vae::Runtime runtime(&argc, &argv);
  runtime.set_collective_timeout(4);
  if (runtime.rank() == 0) sleep(3);
  runtime.barrier();
  if (runtime.rank() == 2) {
    while (true) pause();  // silent until the job is ended
  }
  runtime.barrier();
  return 0;
}
