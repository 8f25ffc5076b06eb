/* Process-level calls: exit, identity, time from the Timer cap ("timer"). */
#include <errno.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "capos/capos.h"
#include "schema/kernel.capnp.capos_c.h"
#include "spawn_api.h"

/* exit() has flushed stdio into the fds; output still buffered for a
   parent's pipe is handed over before the process ends. */
void _exit(int status) {
  capos_libc_fork_exit(); /* between fork and exec: back to the parent */
  capos_libc_streams_finish();
  capos_exit(status);
}

int getpid(void) { return (int)capos_pid(); }

/* Boot-relative monotonic time: capOS has no wall clock yet, so
   CLOCK_REALTIME and gettimeofday count from boot too (docs/posix.md). */
static int now_ns(uint64_t* ns) {
  capos_Timer timer;
  capos_Timer_now_results r;
  if (capos_Timer_find("timer", &timer) != CAPOS_OK) {
    errno = ENOSYS;
    return -1;
  }
  if (capos_Timer_now(timer, &r) != CAPOS_OK) {
    errno = EIO;
    return -1;
  }
  *ns = r.monotonicNs;
  return 0;
}

int clock_gettime(clockid_t id, struct timespec* ts) {
  if (id != CLOCK_MONOTONIC && id != CLOCK_REALTIME) {
    errno = EINVAL;
    return -1;
  }
  uint64_t ns;
  if (now_ns(&ns) < 0) return -1;
  ts->tv_sec = (time_t)(ns / 1000000000u);
  ts->tv_nsec = (long)(ns % 1000000000u);
  return 0;
}

int gettimeofday(struct timeval* tv, void* tz) {
  (void)tz;
  uint64_t ns;
  if (now_ns(&ns) < 0) return -1;
  tv->tv_sec = (time_t)(ns / 1000000000u);
  tv->tv_usec = (suseconds_t)(ns % 1000000000u / 1000u);
  return 0;
}

clock_t times(struct tms* t) {
  uint64_t ns;
  if (now_ns(&ns) < 0) return (clock_t)-1;
  if (t) *t = (struct tms){0};
  return (clock_t)(ns / 1000u);
}

int nanosleep(const struct timespec* req, struct timespec* rem) {
  if (req == NULL || req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L) {
    errno = EINVAL;
    return -1;
  }
  capos_Timer timer;
  capos_Timer_sleep_results r;
  if (capos_Timer_find("timer", &timer) != CAPOS_OK) {
    errno = ENOSYS;
    return -1;
  }
  uint64_t ns = (uint64_t)req->tv_sec * 1000000000u + (uint64_t)req->tv_nsec;
  if (capos_Timer_sleep(timer, ns, &r) != CAPOS_OK) {
    errno = EINVAL;
    return -1;
  }
  if (rem) *rem = (struct timespec){0, 0};
  return 0;
}
