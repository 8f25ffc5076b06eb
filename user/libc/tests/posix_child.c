/* posix_child: started by posix_files through posix_spawn with pipes as
   its stdio. "args": prints its argv and environment to stdout.
   "upper": copies stdin to stdout upper-cased until end of file, then
   says how many bytes it saw and exits with 3. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "args") == 0) {
    printf("argc=%d", argc);
    for (int i = 0; i < argc; ++i) printf(" [%s]", argv[i]);
    const char* g = getenv("GREETING");
    printf(" GREETING=%s HOME=%s\n", g ? g : "(unset)", getenv("HOME") ? getenv("HOME") : "(unset)");
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "upper") == 0) {
    char buf[1024];
    long total = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
      for (ssize_t i = 0; i < n; ++i) buf[i] = (char)toupper((unsigned char)buf[i]);
      if (write(1, buf, (size_t)n) != n) return 10;
      total += n;
    }
    printf("upper: %ld bytes, then end of file\n", total);
    return n == 0 ? 3 : 11;
  }
  fprintf(stderr, "posix_child: unknown mode\n");
  return 12;
}
