/* posix_spawn and waitpid over ProcessSpawner (os/spawn.cpp): the child
   gets copies of the caller's console, timer, root and cwd, its own vm,
   its argv and envp (through the "args" endpoint), and for each dup2 file
   action of a pipe end that pipe as its fd 0, 1 or 2. Other file actions
   and attributes have no channel to the child and fail with EINVAL.
   docs/posix.md. */
#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "capos/capos.h"
#include "spawn_api.h"

enum { MAX_ACTIONS = 8 };

struct __posix_spawn_file_actions {
  unsigned n;
  capos_spawn_dup dups[MAX_ACTIONS];
  int unsupported; /* an addopen/addclose was recorded */
};

int posix_spawn_file_actions_init(posix_spawn_file_actions_t* fa) {
  *fa = calloc(1, sizeof **fa);
  return *fa ? 0 : ENOMEM;
}

int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t* fa) {
  free(*fa);
  *fa = NULL;
  return 0;
}

int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t* fa, int from, int to) {
  if (from < 0 || to < 0) return EBADF;
  if ((*fa)->n == MAX_ACTIONS) return ENOMEM;
  (*fa)->dups[(*fa)->n++] = (capos_spawn_dup){from, to};
  return 0;
}

/* Recorded so that posix_spawn refuses them: a child starts with only the
   fds it is given, and opening files for it has no channel yet. */
int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t* fa, int fd) {
  if (fd < 0) return EBADF;
  (*fa)->unsupported = 1;
  return 0;
}

int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t* __restrict fa, int fd, const char* __restrict path,
                                     int flags, mode_t mode) {
  (void)path, (void)flags, (void)mode;
  if (fd < 0) return EBADF;
  (*fa)->unsupported = 1;
  return 0;
}

int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  if (path == NULL || attr != NULL) return EINVAL;
  const capos_spawn_dup* dups = NULL;
  unsigned n = 0;
  if (actions && *actions) {
    if ((*actions)->unsupported) return EINVAL;
    dups = (*actions)->dups;
    n = (*actions)->n;
  }
  uint32_t child;
  int err = capos_libc_spawn(path, argv, envp, dups, n, &child);
  if (err != 0) return err;
  if (pid) *pid = (pid_t)child;
  return 0;
}

/* Binaries are found by package name: the same as posix_spawn. */
int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                 const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  return posix_spawn(pid, file, actions, attr, argv, envp);
}

pid_t waitpid(pid_t pid, int* status, int options) {
  if (options != 0 || pid < -1 || pid == 0) {
    errno = EINVAL; /* WNOHANG and process groups are not supported */
    return -1;
  }
  uint32_t waited;
  int st;
  int err = capos_libc_wait(pid == -1 ? 0 : (uint32_t)pid, &waited, &st);
  if (err != 0) {
    errno = err == CAPOS_E_NOT_FOUND ? ECHILD : EIO;
    return -1;
  }
  if (status) *status = st;
  return (pid_t)waited;
}

pid_t wait(int* status) { return waitpid(-1, status, 0); }
