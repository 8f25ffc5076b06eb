/* libc_child: started by libc_test through posix_spawn. It has exactly
   what posix_spawn grants (console, timer, its own vm) and shows it:
   stdio and malloc work, and it cannot spawn further (no spawner). Exits
   with 7, which the parent's waitpid must see. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  char* p = malloc(2 * 1024 * 1024);
  struct timespec ts;
  pid_t grandchild;
  int spawn_err = posix_spawn(&grandchild, "libc_child", NULL, NULL, NULL, NULL);
  printf("libc_child: pid %d, malloc %s, clock %s, spawn %s\n", getpid(), p ? "ok" : "failed",
         clock_gettime(CLOCK_MONOTONIC, &ts) == 0 ? "ok" : "failed", spawn_err == ENOENT ? "refused" : "ALLOWED");
  free(p);
  return 7;
}
