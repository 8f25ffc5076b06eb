/* The POSIX part of the glibc ABI that Debian's libsqlite3.a references
   (its unix VFS), mapped onto the capOS POSIX layer (docs/posix.md): the
   x86_64 glibc numbers for open flags and fcntl commands and glibc's
   struct stat/struct flock layouts are translated here, because the
   archive was compiled against glibc's headers while our libc is
   newlib. Only what the archive uses (`nm -u libsqlite3.a`); the
   errno/ctype/fortify names are in user/lua/glibc_abi.c. docs/sqlite.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- open64: glibc's x86_64 O_* bits */
enum {
  G_O_ACCMODE = 03,
  G_O_WRONLY = 01,
  G_O_RDWR = 02,
  G_O_CREAT = 0100,
  G_O_EXCL = 0200,
  G_O_TRUNC = 01000,
  G_O_APPEND = 02000,
  G_O_DIRECTORY = 0200000,
};

int open64(const char* path, int gflags, ...) {
  int flags = (gflags & G_O_ACCMODE) == G_O_RDWR ? O_RDWR : (gflags & G_O_ACCMODE) == G_O_WRONLY ? O_WRONLY : O_RDONLY;
  if (gflags & G_O_CREAT) flags |= O_CREAT;
  if (gflags & G_O_EXCL) flags |= O_EXCL;
  if (gflags & G_O_TRUNC) flags |= O_TRUNC;
  if (gflags & G_O_APPEND) flags |= O_APPEND;
  if (gflags & G_O_DIRECTORY) flags |= O_DIRECTORY;
  /* O_NOFOLLOW, O_CLOEXEC, O_NOCTTY, O_LARGEFILE: nothing to do here. */
  return open(path, flags);
}

/* ---- struct stat as glibc lays it out on x86_64 (144 bytes) */
struct glibc_stat {
  uint64_t st_dev, st_ino, st_nlink;
  uint32_t st_mode, st_uid, st_gid, pad0;
  uint64_t st_rdev;
  int64_t st_size, st_blksize, st_blocks;
  struct {
    int64_t sec, nsec;
  } st_atim, st_mtim, st_ctim;
  int64_t reserved[3];
};
_Static_assert(sizeof(struct glibc_stat) == 144, "glibc's x86_64 struct stat");

static void to_glibc(const struct stat* s, struct glibc_stat* g) {
  memset(g, 0, sizeof *g);
  g->st_mode = s->st_mode; /* S_IF* and permission bits have the same values */
  g->st_nlink = s->st_nlink;
  g->st_size = s->st_size;
  g->st_blksize = s->st_blksize;
  g->st_blocks = s->st_blocks;
  g->st_atim.sec = s->st_atime;
  g->st_mtim.sec = s->st_mtime;
  g->st_ctim.sec = s->st_ctime;
}

int fstat64(int fd, struct glibc_stat* g) {
  struct stat s;
  if (fstat(fd, &s) < 0) return -1;
  to_glibc(&s, g);
  return 0;
}

int stat64(const char* path, struct glibc_stat* g) {
  struct stat s;
  if (stat(path, &s) < 0) return -1;
  to_glibc(&s, g);
  return 0;
}

int lstat64(const char* path, struct glibc_stat* g) { return stat64(path, g); }

/* ---- fcntl64: glibc's x86_64 commands and struct flock */
enum { G_F_DUPFD = 0, G_F_GETFD = 1, G_F_SETFD = 2, G_F_GETFL = 3, G_F_SETFL = 4, G_F_GETLK = 5, G_F_SETLK = 6,
       G_F_SETLKW = 7 };
enum { G_F_UNLCK = 2 };
struct glibc_flock {
  short l_type, l_whence;
  int64_t l_start, l_len;
  int32_t l_pid;
};

/* Record locks: a capOS file is reached only through caps its holder was
   granted, and the POSIX layer keeps no locks between processes, so every
   lock is granted and F_GETLK finds none (docs/sqlite.md: one process per
   database). */
int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  struct stat s;
  switch (cmd) {
    case G_F_GETLK:
      if (fstat(fd, &s) < 0) return -1;
      ((struct glibc_flock*)arg)->l_type = G_F_UNLCK;
      return 0;
    case G_F_SETLK:
    case G_F_SETLKW: return fstat(fd, &s) < 0 ? -1 : 0;
    case G_F_DUPFD: return fcntl(fd, F_DUPFD, (int)(intptr_t)arg);
    case G_F_GETFD: return fcntl(fd, F_GETFD);
    case G_F_SETFD: return fcntl(fd, F_SETFD, (int)(intptr_t)arg);
    case G_F_GETFL: {
      int f = fcntl(fd, F_GETFL);
      if (f < 0) return -1;
      int acc = f & O_ACCMODE;
      return (acc == O_RDWR ? G_O_RDWR : acc == O_WRONLY ? G_O_WRONLY : 0) | ((f & O_APPEND) ? G_O_APPEND : 0);
    }
    case G_F_SETFL: return fstat(fd, &s) < 0 ? -1 : 0;
    default: errno = EINVAL; return -1;
  }
}

ssize_t pread64(int fd, void* buf, size_t n, off_t off) { return pread(fd, buf, n, off); }
ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }
int ftruncate64(int fd, off_t size) { return ftruncate(fd, size); }

/* No symbolic links: nothing is ever a link. */
ssize_t readlink(const char* path, char* buf, size_t n) {
  (void)path, (void)buf, (void)n;
  errno = EINVAL;
  return -1;
}

/* No users and no permission bits: ownership and modes cannot change and
   need not. */
uid_t geteuid(void) { return 1; }
int fchown(int fd, uid_t uid, gid_t gid) {
  (void)uid, (void)gid;
  struct stat s;
  return fstat(fd, &s);
}
int fchmod(int fd, unsigned mode) {
  (void)mode;
  struct stat s;
  return fstat(fd, &s);
}
int utime(const char* path, const void* times) {
  (void)times;
  struct stat s;
  return stat(path, &s);
}

/* No shared memory mappings of files: mmap fails and SQLite reads
   through the fd instead (it treats a failed mmap as "no mmap"). */
void* mmap64(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  (void)addr, (void)len, (void)prot, (void)flags, (void)fd, (void)off;
  errno = ENODEV;
  return (void*)-1;
}
int munmap(void* addr, size_t len) {
  (void)addr, (void)len;
  errno = EINVAL;
  return -1;
}
void* mremap(void* addr, size_t old, size_t n, int flags, ...) {
  (void)addr, (void)old, (void)n, (void)flags;
  errno = ENOMEM;
  return (void*)-1;
}

/* sysconf: glibc's _SC_PAGESIZE (30) is all the archive asks. */
long sysconf(int name) {
  if (name == 30) return 4096;
  errno = EINVAL;
  return -1;
}

unsigned sleep(unsigned s) {
  struct timespec t = {(time_t)s, 0};
  return nanosleep(&t, NULL) == 0 ? 0 : s;
}

int usleep(useconds_t us) {
  struct timespec t = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000};
  return nanosleep(&t, NULL);
}

/* No dynamic loading (and no ambient files to load from): extensions fail. */
void* dlopen(const char* file, int mode) {
  (void)file, (void)mode;
  return NULL;
}
char* dlerror(void) { return "dynamic loading is not available on capOS"; }
void* dlsym(void* h, const char* name) {
  (void)h, (void)name;
  return NULL;
}
int dlclose(void* h) {
  (void)h;
  return -1;
}

/* pthread_mutexattr_*: glibc's attribute is one int, like newlib's. Only
   the default kind exists (user/libc/os/pthread.c); SQLite programs run
   it single-threaded (SQLITE_CONFIG_SINGLETHREAD), where it never locks. */
int pthread_mutexattr_init(int* a) {
  *a = 0;
  return 0;
}
int pthread_mutexattr_destroy(int* a) {
  (void)a;
  return 0;
}
int pthread_mutexattr_settype(int* a, int type) {
  *a = type;
  return type == 0 ? 0 : ENOTSUP;
}
