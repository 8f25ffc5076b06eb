/* Signals fail closed: capOS has no asynchronous delivery into a process,
   so installing a handler is refused (EINVAL; SIG_DFL/SIG_IGN accepted
   for SIGPIPE-style code that only wants defaults) and raise()/kill()
   end the process when the default action would (docs/posix.md). */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

_sig_func_ptr signal(int sig, _sig_func_ptr handler) {
  if (sig <= 0 || sig >= NSIG || (handler != SIG_DFL && handler != SIG_IGN)) {
    errno = EINVAL;
    return SIG_ERR;
  }
  return SIG_DFL;
}

int raise(int sig) {
  if (sig <= 0 || sig >= NSIG) {
    errno = EINVAL;
    return -1;
  }
  /* Default action of every deliverable signal here: terminate, with the
     shell's convention of 128 + the signal number. */
  _exit(128 + sig);
}

int kill(int pid, int sig) {
  if (pid == getpid()) return raise(sig);
  errno = EPERM;  /* no ambient authority over other processes */
  return -1;
}
