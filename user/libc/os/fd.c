/* The file descriptor table. Each open fd points at an object with its
   operations; today the only object is the Console (fds 0-2 at start).
   Pipes, files (Directory/File caps) and sockets become further object
   kinds (docs/posix.md). Errors are -1 with errno, never a crash. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "capos/capos.h"

long capos_libc_console_write(const char* p, size_t n);
long capos_libc_console_read(char* p, size_t n);

enum { FD_MAX = 64 };

enum fd_kind { FD_CLOSED = 0, FD_CONSOLE_IN, FD_CONSOLE_OUT };

static enum fd_kind g_fds[FD_MAX] = {FD_CONSOLE_IN, FD_CONSOLE_OUT, FD_CONSOLE_OUT};

static int valid(int fd) { return fd >= 0 && fd < FD_MAX && g_fds[fd] != FD_CLOSED; }

/* newlib declares read/write with _READ_WRITE_RETURN_TYPE (int here). */
_READ_WRITE_RETURN_TYPE write(int fd, const void* buf, size_t n) {
  if (!valid(fd)) {
    errno = EBADF;
    return -1;
  }
  if (g_fds[fd] != FD_CONSOLE_OUT) {
    errno = EBADF;
    return -1;
  }
  if (n == 0) return 0;
  long r = capos_libc_console_write((const char*)buf, n);
  if (r < 0) {
    errno = EIO;
    return -1;
  }
  return (_READ_WRITE_RETURN_TYPE)r;
}

_READ_WRITE_RETURN_TYPE read(int fd, void* buf, size_t n) {
  if (!valid(fd) || g_fds[fd] != FD_CONSOLE_IN) {
    errno = EBADF;
    return -1;
  }
  if (n == 0) return 0;
  long r = capos_libc_console_read((char*)buf, n);
  if (r < 0) {
    errno = EIO;
    return -1;
  }
  return (_READ_WRITE_RETURN_TYPE)r;
}

int close(int fd) {
  if (!valid(fd)) {
    errno = EBADF;
    return -1;
  }
  g_fds[fd] = FD_CLOSED;
  return 0;
}

off_t lseek(int fd, off_t off, int whence) {
  (void)off;
  (void)whence;
  errno = valid(fd) ? ESPIPE : EBADF;  /* the console is not seekable */
  return -1;
}

int isatty(int fd) {
  if (!valid(fd)) {
    errno = EBADF;
    return 0;
  }
  return 1;
}

int fstat(int fd, struct stat* st) {
  if (!valid(fd)) {
    errno = EBADF;
    return -1;
  }
  *st = (struct stat){0};
  st->st_mode = S_IFCHR | 0600;
  return 0;
}

int dup2(int from, int to) {
  if (!valid(from) || to < 0 || to >= FD_MAX) {
    errno = EBADF;
    return -1;
  }
  g_fds[to] = g_fds[from];
  return to;
}

int dup(int fd) {
  if (!valid(fd)) {
    errno = EBADF;
    return -1;
  }
  for (int i = 0; i < FD_MAX; ++i)
    if (g_fds[i] == FD_CLOSED) return dup2(fd, i);
  errno = EMFILE;
  return -1;
}

/* Paths resolve only inside a granted directory (os/path.cpp): an escape
   ("../x" above it) is EACCES whatever exists; an absolute path starts at
   the granted root. No Directory backend exists yet, so every confined
   path is ENOENT (docs/posix.md). */
int capos_libc_confine(const char* path, char* out, size_t cap);

int open(const char* path, int flags, ...) {
  (void)flags;
  char inside[1025];
  int err = capos_libc_confine(path, inside, sizeof inside);
  if (err == CAPOS_E_PERMISSION_DENIED) {
    errno = EACCES;
    return -1;
  }
  if (err == CAPOS_E_LIMIT_EXCEEDED) {
    errno = ENAMETOOLONG;
    return -1;
  }
  errno = ENOENT;
  return -1;
}
