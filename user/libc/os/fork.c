/* The recording fork-for-exec (docs/posix.md). capOS cannot copy a
   process, and a capability system should not: a child gets only what is
   granted explicitly. So fork() (a macro in <unistd.h>) does a setjmp in
   the caller's frame and returns 0 — the caller is now "the child", but
   nothing was created. dup2 and close are recorded instead of done, and
   exec*() turns the record into posix_spawn (the same grants: console,
   timer, root, cwd, its own vm, the dup2'ed pipes, argv and envp), then
   jumps back so that fork returns the child's pid in the parent. An exec
   that fails returns -1 with errno as usual; the _exit(127) that follows
   makes fork return -1 in the parent with that errno (no child exists).
   Anything else the "child" does between fork and exec happens in the
   parent (the vfork contract); `exit` instead of `_exit` would run the
   parent's atexit handlers. */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "spawn_api.h"

extern char** environ;

void* __capos_fork_jb[5];

enum { MAX_RECORDED = 8 };

static struct {
  int recording;
  unsigned n;
  capos_spawn_dup dups[MAX_RECORDED];
  int overflow;
  pid_t result;
  int error; /* errno of the last failed exec while recording */
} g_fork;

pid_t __capos_fork_begin(void) {
  g_fork.recording = 1;
  g_fork.n = 0;
  g_fork.overflow = 0;
  g_fork.result = -1;
  g_fork.error = ENOSYS; /* _exit without any exec */
  return 0;
}

pid_t __capos_fork_parent(void) {
  g_fork.recording = 0;
  if (g_fork.result < 0) errno = g_fork.error;
  return g_fork.result;
}

/* A function-call fork (its address taken, or code built without our
   <unistd.h>) cannot return twice into its caller's frame. */
#undef fork
pid_t fork(void) {
  errno = ENOSYS;
  return -1;
}

int capos_libc_fork_recording(void) { return g_fork.recording; }

void capos_libc_fork_dup2(int from, int to) {
  for (unsigned i = 0; i < g_fork.n; ++i) {
    if (g_fork.dups[i].to == to) {
      g_fork.dups[i].from = from;
      return;
    }
  }
  if (g_fork.n == MAX_RECORDED) {
    g_fork.overflow = 1;
    return;
  }
  g_fork.dups[g_fork.n++] = (capos_spawn_dup){from, to};
}

/* The child's _exit before (or instead of) a successful exec. */
void capos_libc_fork_exit(void) {
  if (g_fork.recording) __builtin_longjmp(__capos_fork_jb, 1);
}

int execve(const char* path, char* const argv[], char* const envp[]) {
  if (!g_fork.recording) {
    errno = ENOSYS; /* no exec replacing this process: posix_spawn a new one */
    return -1;
  }
  if (g_fork.overflow) {
    g_fork.error = errno = ENOMEM;
    return -1;
  }
  uint32_t pid;
  int err = capos_libc_spawn(path, argv, envp, g_fork.dups, g_fork.n, &pid);
  if (err != 0) {
    g_fork.error = errno = err;
    return -1;
  }
  g_fork.result = (pid_t)pid;
  __builtin_longjmp(__capos_fork_jb, 1);
}

int execv(const char* path, char* const argv[]) { return execve(path, argv, environ); }

/* Binaries are found by package name: no PATH search. */
int execvp(const char* file, char* const argv[]) { return execve(file, argv, environ); }

static int execl_common(const char* path, const char* arg0, va_list ap) {
  enum { MAX_ARGS = 64 };
  char* argv[MAX_ARGS + 1];
  int n = 0;
  for (const char* a = arg0; a != NULL; a = va_arg(ap, const char*)) {
    if (n == MAX_ARGS) {
      errno = E2BIG;
      return -1;
    }
    argv[n++] = (char*)a;
  }
  argv[n] = NULL;
  return execve(path, argv, environ);
}

int execl(const char* path, const char* arg0, ...) {
  va_list ap;
  va_start(ap, arg0);
  int r = execl_common(path, arg0, ap);
  va_end(ap);
  return r;
}

int execlp(const char* file, const char* arg0, ...) {
  va_list ap;
  va_start(ap, arg0);
  int r = execl_common(file, arg0, ap);
  va_end(ap);
  return r;
}
