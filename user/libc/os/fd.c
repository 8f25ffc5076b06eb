/* The POSIX file calls over the fd table (os/fd_ops.cpp, os/fs_paths.cpp):
   this file only translates newlib's types and flags to the fd layer's
   (os/fd_api.h) and its errors to errno. Errors are -1 with errno, never
   a crash. docs/posix.md lists what each call does. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "fd_api.h"
#include "spawn_api.h"

/* The fd layer reports newlib's numbers; check each one. */
_Static_assert(CAPOS_EPERM == EPERM && CAPOS_ENOENT == ENOENT && CAPOS_EIO == EIO && CAPOS_E2BIG == E2BIG && CAPOS_EBADF == EBADF &&
                   CAPOS_EAGAIN == EAGAIN && CAPOS_ENOMEM == ENOMEM && CAPOS_EACCES == EACCES &&
                   CAPOS_EEXIST == EEXIST && CAPOS_EXDEV == EXDEV && CAPOS_ENOTDIR == ENOTDIR &&
                   CAPOS_EISDIR == EISDIR && CAPOS_EINVAL == EINVAL && CAPOS_ENFILE == ENFILE &&
                   CAPOS_EMFILE == EMFILE && CAPOS_ENOTTY == ENOTTY && CAPOS_EFBIG == EFBIG &&
                   CAPOS_ENOSPC == ENOSPC && CAPOS_ESPIPE == ESPIPE && CAPOS_EROFS == EROFS &&
                   CAPOS_EPIPE == EPIPE && CAPOS_ENOSYS == ENOSYS && CAPOS_ENOTEMPTY == ENOTEMPTY &&
                   CAPOS_ENAMETOOLONG == ENAMETOOLONG && CAPOS_EOPNOTSUPP == EOPNOTSUPP &&
                   CAPOS_ECONNRESET == ECONNRESET && CAPOS_EAFNOSUPPORT == EAFNOSUPPORT &&
                   CAPOS_ENOTSOCK == ENOTSOCK && CAPOS_ENOPROTOOPT == ENOPROTOOPT &&
                   CAPOS_ECONNREFUSED == ECONNREFUSED && CAPOS_EADDRINUSE == EADDRINUSE &&
                   CAPOS_ETIMEDOUT == ETIMEDOUT && CAPOS_EPROTONOSUPPORT == EPROTONOSUPPORT &&
                   CAPOS_EISCONN == EISCONN && CAPOS_ENOTCONN == ENOTCONN && CAPOS_EDESTADDRREQ == EDESTADDRREQ,
               "capos_errno must equal newlib's errno numbers");

static int fail(int err) {
  errno = err;
  return -1;
}

static int dirfd_of(int fd) { return fd == AT_FDCWD ? CAPOS_AT_CWD : fd; }

_READ_WRITE_RETURN_TYPE read(int fd, void* buf, size_t n) {
  size_t done;
  int err = capos_fd_read(fd, buf, n, &done);
  return err ? fail(err) : (_READ_WRITE_RETURN_TYPE)done;
}

_READ_WRITE_RETURN_TYPE write(int fd, const void* buf, size_t n) {
  size_t done;
  int err = capos_fd_write(fd, buf, n, &done);
  return err ? fail(err) : (_READ_WRITE_RETURN_TYPE)done;
}

/* pread/pwrite: at an offset, leaving the fd's position where it was.
   Not atomic against another thread using the same fd. */
ssize_t pread(int fd, void* buf, size_t n, off_t off) {
  off_t old = lseek(fd, 0, SEEK_CUR);
  if (old < 0 || lseek(fd, off, SEEK_SET) < 0) return -1;
  ssize_t r = read(fd, buf, n);
  int saved = errno;
  lseek(fd, old, SEEK_SET);
  errno = saved;
  return r;
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  off_t old = lseek(fd, 0, SEEK_CUR);
  if (old < 0 || lseek(fd, off, SEEK_SET) < 0) return -1;
  ssize_t r = write(fd, buf, n);
  int saved = errno;
  lseek(fd, old, SEEK_SET);
  errno = saved;
  return r;
}

int close(int fd) {
  /* Between fork and exec a close only concerns the child, which starts
     with the fds it is given anyway. */
  if (capos_libc_fork_recording()) return fd >= 0 ? 0 : fail(EBADF);
  int err = capos_fd_close(fd);
  return err ? fail(err) : 0;
}

off_t lseek(int fd, off_t off, int whence) {
  uint64_t pos;
  int err = capos_fd_seek(fd, (int64_t)off, whence == SEEK_SET ? 0 : whence == SEEK_CUR ? 1 : whence == SEEK_END ? 2 : 3,
                          &pos);
  return err ? fail(err) : (off_t)pos;
}

int isatty(int fd) {
  int err = capos_fd_isatty(fd);
  if (err) {
    errno = err;
    return 0;
  }
  return 1;
}

static void to_stat(const capos_fd_stat* s, struct stat* st) {
  *st = (struct stat){0};
  switch (s->type) {
    case CAPOS_FT_FILE: st->st_mode = S_IFREG; break;
    case CAPOS_FT_DIR: st->st_mode = S_IFDIR | 0111; break;
    case CAPOS_FT_FIFO: st->st_mode = S_IFIFO; break;
    case CAPOS_FT_SOCK: st->st_mode = S_IFSOCK; break;
    default: st->st_mode = S_IFCHR; break;
  }
  st->st_mode |= s->writable ? 0644 : 0444;
  st->st_nlink = 1;
  st->st_size = (off_t)s->size;
  st->st_blksize = 4096;
  st->st_blocks = (blkcnt_t)(s->blocks * 8); /* 512-byte units */
  /* No wall clock: the filesystem generation stands in for the time. */
  st->st_mtime = st->st_ctime = st->st_atime = (time_t)s->modified;
}

int fstat(int fd, struct stat* st) {
  capos_fd_stat s;
  int err = capos_fd_fstat(fd, &s);
  if (err) return fail(err);
  to_stat(&s, st);
  return 0;
}

int fstatat(int dirfd, const char* path, struct stat* st, int flags) {
  (void)flags; /* there are no symbolic links */
  capos_fd_stat s;
  int err = capos_fd_statat(dirfd_of(dirfd), path, &s);
  if (err) return fail(err);
  to_stat(&s, st);
  return 0;
}

int stat(const char* path, struct stat* st) { return fstatat(AT_FDCWD, path, st, 0); }
int lstat(const char* path, struct stat* st) { return fstatat(AT_FDCWD, path, st, 0); }

int access(const char* path, int mode) {
  struct stat st;
  if (stat(path, &st) < 0) return -1;
  if ((mode & W_OK) && !(st.st_mode & S_IWUSR)) return fail(EACCES);
  return 0;
}

int dup2(int from, int to) {
  if (capos_libc_fork_recording()) {
    if (from < 0 || to < 0) return fail(EBADF);
    capos_libc_fork_dup2(from, to); /* carried out by the exec's spawn */
    return to;
  }
  int err = capos_fd_dup2(from, to);
  return err ? fail(err) : to;
}

int dup(int fd) {
  int out;
  int err = capos_fd_dup(fd, 0, &out);
  return err ? fail(err) : out;
}

int pipe(int fds[2]) {
  int err = capos_fd_pipe(fds);
  return err ? fail(err) : 0;
}

int fsync(int fd) {
  int err = capos_fd_sync(fd);
  return err ? fail(err) : 0;
}

int fdatasync(int fd) { return fsync(fd); }

int ftruncate(int fd, off_t size) {
  if (size < 0) return fail(EINVAL);
  int err = capos_fd_truncate(fd, (uint64_t)size);
  return err ? fail(err) : 0;
}

static unsigned open_flags(int flags) {
  unsigned f = 0;
  switch (flags & O_ACCMODE) {
    case O_WRONLY: f = CAPOS_OPEN_WRITE; break;
    case O_RDWR: f = CAPOS_OPEN_READ | CAPOS_OPEN_WRITE; break;
    default: f = CAPOS_OPEN_READ; break;
  }
  if (flags & O_APPEND) f |= CAPOS_OPEN_APPEND;
  if (flags & O_CREAT) f |= CAPOS_OPEN_CREATE;
  if (flags & O_EXCL) f |= CAPOS_OPEN_EXCL;
  if (flags & O_TRUNC) f |= CAPOS_OPEN_TRUNC;
  if (flags & O_DIRECTORY) f |= CAPOS_OPEN_DIRECTORY;
  return f;
}

/* The mode argument is accepted and ignored: capOS files carry no
   permission bits (authority is the capability). */
int openat(int dirfd, const char* path, int flags, ...) {
  int fd;
  int err = capos_fd_openat(dirfd_of(dirfd), path, open_flags(flags), &fd);
  return err ? fail(err) : fd;
}

int open(const char* path, int flags, ...) { return openat(AT_FDCWD, path, flags); }

int creat(const char* path, mode_t mode) {
  (void)mode;
  return open(path, O_WRONLY | O_CREAT | O_TRUNC);
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  int out;
  int err;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      err = capos_fd_dup(fd, (int)arg, &out);
      return err ? fail(err) : out;
    case F_GETFD:
    case F_SETFD: /* no exec, so close-on-exec has nothing to do */
    case F_SETFL: /* no non-blocking mode yet: accepted, unchanged */
    case F_GETFL: {
      unsigned f;
      err = capos_fd_flags(fd, &f);
      if (err) return fail(err);
      if (cmd != F_GETFL) return 0;
      int acc = (f & CAPOS_OPEN_READ) && (f & CAPOS_OPEN_WRITE) ? O_RDWR : (f & CAPOS_OPEN_WRITE) ? O_WRONLY : O_RDONLY;
      return acc | ((f & CAPOS_OPEN_APPEND) ? O_APPEND : 0);
    }
    default: return fail(EINVAL); /* record locks: one process per file, see docs/posix.md */
  }
}

int mkdirat(int dirfd, const char* path, mode_t mode) {
  (void)mode;
  int err = capos_fd_mkdirat(dirfd_of(dirfd), path);
  return err ? fail(err) : 0;
}

int mkdir(const char* path, mode_t mode) { return mkdirat(AT_FDCWD, path, mode); }

int unlinkat(int dirfd, const char* path, int flags) {
  int err = capos_fd_unlinkat(dirfd_of(dirfd), path, (flags & AT_REMOVEDIR) != 0);
  return err ? fail(err) : 0;
}

int unlink(const char* path) { return unlinkat(AT_FDCWD, path, 0); }
int rmdir(const char* path) { return unlinkat(AT_FDCWD, path, AT_REMOVEDIR); }

int renameat(int olddirfd, const char* from, int newdirfd, const char* to) {
  int err = capos_fd_renameat(dirfd_of(olddirfd), from, dirfd_of(newdirfd), to);
  return err ? fail(err) : 0;
}

/* newlib's rename() would be link + unlink; this one is Directory.rename
   (user/libc/CMakeLists.txt leaves newlib's out). */
int rename(const char* from, const char* to) { return renameat(AT_FDCWD, from, AT_FDCWD, to); }

/* The working directory is the granted one and cannot change. */
char* getcwd(char* buf, size_t size) {
  if (buf == NULL || size < 2) {
    errno = buf == NULL ? EINVAL : ERANGE;
    return NULL;
  }
  buf[0] = '/';
  buf[1] = '\0';
  return buf;
}

DIR* fdopendir(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0) return NULL;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return NULL;
  }
  DIR* d = malloc(sizeof *d);
  if (d == NULL) return NULL;
  d->fd = fd;
  return d;
}

DIR* opendir(const char* path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return NULL;
  DIR* d = fdopendir(fd);
  if (d == NULL) close(fd);
  return d;
}

struct dirent* readdir(DIR* d) {
  int is_dir = 0, end = 0;
  int err = capos_fd_readdir(d->fd, d->entry.d_name, sizeof d->entry.d_name, &is_dir, &end);
  if (err) {
    errno = err;
    return NULL;
  }
  if (end) return NULL; /* errno unchanged: the end, not an error */
  d->entry.d_ino = 0;
  d->entry.d_type = is_dir ? DT_DIR : DT_REG;
  return &d->entry;
}

void rewinddir(DIR* d) { (void)capos_fd_rewinddir(d->fd); }

int dirfd(DIR* d) { return d->fd; }

int closedir(DIR* d) {
  int r = close(d->fd);
  free(d);
  return r;
}

/* poll: readiness from the fd layer; with nothing ready it sleeps 10 ms
   on the Timer and looks again until `timeout` ms pass (-1: forever). */
int poll(struct pollfd* fds, nfds_t n, int timeout) {
  struct timespec start, now;
  int have_clock = clock_gettime(CLOCK_MONOTONIC, &start) == 0;
  for (;;) {
    int ready = 0;
    for (nfds_t i = 0; i < n; ++i) {
      fds[i].revents = 0;
      if (fds[i].fd < 0) continue;
      unsigned st;
      if (capos_fd_poll_state(fds[i].fd, &st) != 0) {
        fds[i].revents = POLLNVAL;
      } else {
        if ((st & 1) && (fds[i].events & POLLIN)) fds[i].revents |= POLLIN;
        if ((st & 2) && (fds[i].events & POLLOUT)) fds[i].revents |= POLLOUT;
        if (st & 4) fds[i].revents |= POLLHUP;
      }
      if (fds[i].revents) ++ready;
    }
    if (ready || timeout == 0) return ready;
    if (!have_clock) return fail(ENOSYS); /* cannot wait without a Timer */
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long waited = (now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (timeout > 0 && waited >= timeout) return 0;
    struct timespec tick = {0, 10 * 1000 * 1000};
    nanosleep(&tick, NULL);
  }
}
