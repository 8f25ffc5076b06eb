/* posix_spawn and waitpid over ProcessSpawner (os/spawn.cpp): the child
   gets copies of the caller's console and timer and its own vm, nothing
   else; argv, envp, file actions and attributes have no channel to the
   child yet and must be empty/NULL (EINVAL otherwise). docs/posix.md. */
#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/wait.h>

#include "capos/capos.h"

int capos_libc_spawn(const char* binary, uint32_t* pid);
int capos_libc_wait(uint32_t pid, uint32_t* waited, int* status);

static int errno_of(int err) {
  switch (err) {
    case CAPOS_E_NOT_FOUND: return ENOENT; /* no such binary, or no "spawner" grant */
    case CAPOS_E_PERMISSION_DENIED: return EPERM;
    case CAPOS_E_OVERLOADED:
    case CAPOS_E_QUOTA_EXCEEDED: return EAGAIN;
    case CAPOS_E_INVALID_ARGUMENT: return EINVAL;
    default: return EIO;
  }
}

int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  if (path == NULL || actions != NULL || attr != NULL || (argv && argv[0] && argv[1]) || (envp && envp[0]))
    return EINVAL;
  uint32_t child;
  int err = capos_libc_spawn(path, &child);
  if (err != 0) return errno_of(err);
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
