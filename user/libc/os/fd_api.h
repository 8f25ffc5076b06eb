/* The boundary between the POSIX wrappers in C (os/fd.c, which see
   newlib's headers) and the fd table in C++ (os/fd_ops.cpp, which sees
   the runtime's): plain C types only. Every function returns 0 or a
   capos_errno value (the caller stores it in errno and returns -1);
   results go to out-parameters. fd.c checks each capos_errno against
   newlib's <errno.h> at compile time. docs/posix.md. */
#ifndef CAPOS_LIBC_FD_API_H
#define CAPOS_LIBC_FD_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* newlib's errno numbers for the errors the fd layer reports. */
enum capos_errno {
  CAPOS_EPERM = 1,
  CAPOS_ENOENT = 2,
  CAPOS_EIO = 5,
  CAPOS_E2BIG = 7,
  CAPOS_EBADF = 9,
  CAPOS_EAGAIN = 11,
  CAPOS_ENOMEM = 12,
  CAPOS_EACCES = 13,
  CAPOS_EEXIST = 17,
  CAPOS_ENOTDIR = 20,
  CAPOS_ENOTTY = 25,
  CAPOS_EISDIR = 21,
  CAPOS_EINVAL = 22,
  CAPOS_ENFILE = 23,
  CAPOS_EMFILE = 24,
  CAPOS_EXDEV = 18,
  CAPOS_EFBIG = 27,
  CAPOS_ENOSPC = 28,
  CAPOS_ESPIPE = 29,
  CAPOS_EROFS = 30,
  CAPOS_EPIPE = 32,
  CAPOS_ENOSYS = 88,
  CAPOS_ENOTEMPTY = 90,
  CAPOS_ENAMETOOLONG = 91,
  CAPOS_EOPNOTSUPP = 95,
  CAPOS_ECONNRESET = 104,
  CAPOS_EAFNOSUPPORT = 106,
  CAPOS_ENOTSOCK = 108,
  CAPOS_ENOPROTOOPT = 109,
  CAPOS_ECONNREFUSED = 111,
  CAPOS_EADDRINUSE = 112,
  CAPOS_ETIMEDOUT = 116,
  CAPOS_EDESTADDRREQ = 121,
  CAPOS_EPROTONOSUPPORT = 123,
  CAPOS_EISCONN = 127,
  CAPOS_ENOTCONN = 128,
};

/* Open flags as the fd layer sees them (fd.c translates O_*). */
enum {
  CAPOS_OPEN_READ = 1u << 0,
  CAPOS_OPEN_WRITE = 1u << 1,
  CAPOS_OPEN_APPEND = 1u << 2,
  CAPOS_OPEN_CREATE = 1u << 3,
  CAPOS_OPEN_EXCL = 1u << 4,
  CAPOS_OPEN_TRUNC = 1u << 5,
  CAPOS_OPEN_DIRECTORY = 1u << 6,
};

/* What fstat/stat report. */
enum capos_fd_type { CAPOS_FT_CHAR = 0, CAPOS_FT_FILE, CAPOS_FT_DIR, CAPOS_FT_FIFO, CAPOS_FT_SOCK };
typedef struct capos_fd_stat {
  uint8_t type; /* capos_fd_type */
  uint8_t writable;
  uint64_t size, blocks, modified;
} capos_fd_stat;

/* The directory fd for paths relative to the working directory. */
enum { CAPOS_AT_CWD = -100 };

int capos_fd_read(int fd, void* buf, size_t n, size_t* done);
int capos_fd_write(int fd, const void* buf, size_t n, size_t* done);
int capos_fd_close(int fd);
int capos_fd_dup(int fd, int min_fd, int* out);
int capos_fd_dup2(int from, int to);
/* whence: 0 set, 1 current, 2 end. */
int capos_fd_seek(int fd, int64_t off, int whence, uint64_t* pos);
int capos_fd_fstat(int fd, capos_fd_stat* st);
int capos_fd_sync(int fd);
int capos_fd_truncate(int fd, uint64_t size);
int capos_fd_pipe(int fds[2]);
int capos_fd_isatty(int fd);
/* 1 when fd 0 is a shell's StdIO (lines arrive echoed and edited). */
int capos_libc_stdin_cooked(void);
/* The CAPOS_OPEN_* access bits the fd was opened with. */
int capos_fd_flags(int fd, unsigned* flags);
/* poll: bit 0 readable, bit 1 writable, bit 2 hung up (no writer left). */
int capos_fd_poll_state(int fd, unsigned* state);

int capos_fd_openat(int dirfd, const char* path, unsigned flags, int* out);
int capos_fd_statat(int dirfd, const char* path, capos_fd_stat* st);
int capos_fd_mkdirat(int dirfd, const char* path);
/* dir: 0 removes a file only, 1 a directory only. */
int capos_fd_unlinkat(int dirfd, const char* path, int dir);
int capos_fd_renameat(int olddirfd, const char* from, int newdirfd, const char* to);
/* One entry of directory fd `fd` (its cursor advances); *end set when
   there are no more. `name` gets a NUL-terminated name. */
int capos_fd_readdir(int fd, char* name, size_t cap, int* is_dir, int* end);
int capos_fd_rewinddir(int fd);

#ifdef __cplusplus
}
#endif

#endif
