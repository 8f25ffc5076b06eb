/* libc_test: newlib on capOS (booted as init by qemu.libc). Each check
   prints "libc: <what> ok" or "libc: FAIL <what>"; the exit status counts
   failures, and exit() must flush stdio for the last line to appear. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_failures;

static void check(int ok, const char* what) {
  if (ok) {
    printf("libc: %s ok\n", what);
  } else {
    printf("libc: FAIL %s\n", what);
    ++g_failures;
  }
}

static jmp_buf g_jump;
static void jump_back(int v) { longjmp(g_jump, v); }

static int cmp_int(const void* a, const void* b) { return *(const int*)a - *(const int*)b; }

int main(void) {
  printf("libc: hello from newlib printf, pid %d\n", getpid());

  char buf[128];
  snprintf(buf, sizeof buf, "%d %5.2f %s %x %llu %-3c|", -42, 3.14159, "str", 255, 18446744073709551615ull, 'z');
  check(strcmp(buf, "-42  3.14 str ff 18446744073709551615 z  |") == 0, "snprintf formats");
  snprintf(buf, sizeof buf, "%.3e %g %g", 12345.678, 0.0001, 1e20);
  check(strcmp(buf, "1.235e+04 0.0001 1e+20") == 0, "float formats");
  check(snprintf(buf, 4, "abcdef") == 6 && strcmp(buf, "abc") == 0, "snprintf truncates");

  /* malloc growing well past the runtime's 1 MiB arena. */
  enum { CHUNKS = 24, CHUNK = 256 * 1024 };
  unsigned char* blocks[CHUNKS];
  int ok = 1;
  for (int i = 0; i < CHUNKS; ++i) {
    blocks[i] = malloc(CHUNK);
    if (!blocks[i]) { ok = 0; break; }
    memset(blocks[i], i, CHUNK);
  }
  for (int i = 0; ok && i < CHUNKS; ++i)
    if (blocks[i][0] != i || blocks[i][CHUNK - 1] != i) ok = 0;
  check(ok, "malloc 6 MiB in 256 KiB blocks");
  for (int i = 0; ok && i < CHUNKS; ++i) free(blocks[i]);
  char* s = malloc(10);
  strcpy(s, "grow");
  s = realloc(s, 100000);
  check(s && strcmp(s, "grow") == 0, "realloc keeps contents");
  free(s);
  int* z = calloc(1000, sizeof(int));
  int allzero = z != NULL;
  for (int i = 0; z && i < 1000; ++i) allzero &= z[i] == 0;
  check(allzero, "calloc zeroes");
  free(z);
  errno = 0;
  check(malloc((size_t)1 << 46) == NULL && errno == ENOMEM, "huge malloc fails with ENOMEM");

  /* string, ctype, stdlib */
  check(strlen("hello") == 5 && strncmp("abc", "abd", 2) == 0 && strstr("haystack", "st") != NULL, "string");
  check(toupper('a') == 'A' && isdigit('7') && !isalpha('1') && isspace('\t'), "ctype");
  char* end;
  check(strtol("-1234xyz", &end, 10) == -1234 && *end == 'x', "strtol");
  errno = 0;
  check(strtol("99999999999999999999", NULL, 10) == LONG_MAX && errno == ERANGE, "strtol overflow sets ERANGE");
  check(fabs(strtod("2.5e3", NULL) - 2500.0) < 1e-9, "strtod");
  int arr[] = {5, 3, 9, 1, 7};
  qsort(arr, 5, sizeof arr[0], cmp_int);
  check(arr[0] == 1 && arr[4] == 9, "qsort");

  /* math */
  check(fabs(sqrt(2.0) - 1.41421356) < 1e-6 && fabs(sin(0.0)) < 1e-12 && fabs(pow(2.0, 10.0) - 1024.0) < 1e-9,
        "math");

  /* setjmp/longjmp */
  volatile int rounds = 0;
  int v = setjmp(g_jump);
  if (v == 0) {
    ++rounds;
    jump_back(7);
  }
  check(v == 7 && rounds == 1, "setjmp/longjmp");

  /* time from the Timer cap */
  struct timespec a, b, d = {0, 3000000};
  clock_gettime(CLOCK_MONOTONIC, &a);
  check(nanosleep(&d, NULL) == 0, "nanosleep");
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  check(ns >= 3000000, "clock_gettime advances across nanosleep");

  /* fds and signals fail closed with errno */
  errno = 0;
  check(write(9, "x", 1) == -1 && errno == EBADF, "write to a closed fd is EBADF");
  check(lseek(1, 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek on the console is ESPIPE");
  check(signal(SIGINT, (void (*)(int))jump_back) == SIG_ERR && errno == EINVAL, "signal handlers refused");
  int fd = dup(1);
  check(fd >= 3 && write(fd, "libc: via dup\n", 14) == 14 && close(fd) == 0, "dup/close");
  errno = 0;
  check(fopen("/etc/passwd", "r") == NULL && errno == ENOENT, "no ambient filesystem");
  errno = 0;
  check(open("../../x", O_RDONLY) == -1 && errno == EACCES, "a path above the granted directory is EACCES");
  errno = 0;
  check(open("/a/../../x", O_RDONLY) == -1 && errno == EACCES, "an absolute path cannot climb out either");

  /* posix_spawn + waitpid through the "spawner" grant */
  pid_t child = 0;
  int status = 0;
  fflush(stdout);
  check(posix_spawn(&child, "libc_child", NULL, NULL, NULL, NULL) == 0 && child > 1, "posix_spawn");
  check(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 7,
        "waitpid sees the child's exit code");
  errno = 0;
  check(waitpid(child, &status, 0) == -1 && errno == ECHILD, "a reaped child is gone (ECHILD)");
  check(posix_spawn(&child, "no_such_binary", NULL, NULL, NULL, NULL) == ENOENT, "unknown binary is ENOENT");
  char* const args[] = {"libc_child", "-x", NULL};
  check(posix_spawn(&child, "libc_child", NULL, NULL, args, NULL) == 0 && waitpid(child, &status, 0) == child &&
            WEXITSTATUS(status) == 7,
        "arguments are passed");

  fprintf(stderr, "libc: stderr works\n");
  printf(g_failures == 0 ? "libc: all checks passed\n" : "libc: %d checks FAILED\n", g_failures);
  return g_failures;  /* exit() flushes this buffered stdout */
}
