/* posix_files: real file and pipe I/O through the POSIX layer (booted by
   qemu.posix_files_* as a service next to fsd, with fsd's "home"
   Directory granted as "root"). Each check prints "posix: <what> ok" or
   "posix: FAIL <what>"; the exit status counts failures. A file written
   and fsync'ed in the first boot of the disk image is found again by the
   second. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_failures;

static void check(int ok, const char* what) {
  if (ok) {
    printf("posix: %s ok\n", what);
  } else {
    printf("posix: FAIL %s (errno %d)\n", what, errno);
    ++g_failures;
  }
}

static const char kPersist[] = "written in boot 1, synced\n";

static void persistence(void) {
  char buf[64] = {0};
  int fd = open("/persist.txt", O_RDONLY);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    check(n == (ssize_t)strlen(kPersist) && strcmp(buf, kPersist) == 0, "boot 2 read persist.txt intact");
    check(unlink("persist.txt") == 0, "unlink persist.txt");
    return;
  }
  check(errno == ENOENT, "persist.txt is missing on a fresh disk (ENOENT)");
  fd = open("persist.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
  check(fd >= 0 && write(fd, kPersist, strlen(kPersist)) == (ssize_t)strlen(kPersist) && fsync(fd) == 0 &&
            close(fd) == 0,
        "boot 1 wrote persist.txt");
}

static void files(void) {
  check(mkdir("data", 0755) == 0, "mkdir data");
  errno = 0;
  check(mkdir("data", 0755) == -1 && errno == EEXIST, "mkdir of an existing directory is EEXIST");

  int fd = open("data/hello.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  check(fd >= 3, "open(O_CREAT) in a sub-directory");
  const char text[] = "hello, capOS files\nsecond line\n";
  check(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
  errno = 0;
  char c;
  check(read(fd, &c, 1) == -1 && errno == EBADF, "read on a write-only fd is EBADF");
  check(close(fd) == 0, "close");

  FILE* f = fopen("/data/hello.txt", "r");  /* absolute: from the granted root */
  char line[64];
  check(f && fgets(line, sizeof line, f) && strcmp(line, "hello, capOS files\n") == 0 && fgets(line, sizeof line, f) &&
            strcmp(line, "second line\n") == 0 && fgets(line, sizeof line, f) == NULL && feof(f),
        "fopen + fgets reads the lines back, then EOF");
  if (f) fclose(f);

  fd = open("data/hello.txt", O_RDWR);
  struct stat st;
  check(fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == (off_t)strlen(text), "fstat size");
  check(lseek(fd, 7, SEEK_SET) == 7 && read(fd, line, 5) == 5 && memcmp(line, "capOS", 5) == 0, "lseek + read");
  check(lseek(fd, -5, SEEK_END) == (off_t)strlen(text) - 5 && read(fd, line, 10) == 5 && memcmp(line, "line\n", 5) == 0,
        "lseek from the end");
  check(pwrite(fd, "HELLO", 5, 0) == 5 && pread(fd, line, 5, 0) == 5 && memcmp(line, "HELLO", 5) == 0 &&
            lseek(fd, 0, SEEK_CUR) == (off_t)strlen(text),
        "pwrite/pread leave the offset alone");
  /* a gap becomes a hole that reads as zeroes */
  check(lseek(fd, 10000, SEEK_SET) == 10000 && write(fd, "!", 1) == 1 && fstat(fd, &st) == 0 && st.st_size == 10001,
        "write past the end grows the file");
  check(pread(fd, line, 4, 9000) == 4 && line[0] == 0 && line[3] == 0, "the gap reads as zeroes");
  check(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate");
  check(close(fd) == 0, "close after truncate");

  fd = open("data/hello.txt", O_WRONLY | O_APPEND);
  check(fd >= 0 && write(fd, "+app", 4) == 4 && close(fd) == 0, "O_APPEND write");
  f = fopen("data/hello.txt", "r");
  check(f && fgets(line, sizeof line, f) && strcmp(line, "HELLO+app") == 0, "appended at the end");
  if (f) fclose(f);

  /* a big file through stdio: more than one 8 KiB transfer per call */
  f = fopen("data/big.bin", "w");
  int ok = f != NULL;
  for (int i = 0; ok && i < 5000; ++i) ok = fprintf(f, "%04d\n", i) == 5;
  ok = ok && fclose(f) == 0;
  f = fopen("data/big.bin", "r");
  int v = -1, seen = 0;
  while (f && fscanf(f, "%d", &v) == 1 && v == seen) ++seen;
  check(ok && seen == 5000, "5000 lines (25 KB) through fprintf/fscanf");
  if (f) fclose(f);

  errno = 0;
  check(open("data/none.txt", O_RDONLY) == -1 && errno == ENOENT, "open of a missing file is ENOENT");
  errno = 0;
  check(open("data/hello.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST, "O_EXCL on an existing file is EEXIST");
  errno = 0;
  check(open("data", O_WRONLY) == -1 && errno == EISDIR, "opening a directory for writing is EISDIR");
  errno = 0;
  check(open("data/hello.txt/x", O_RDONLY) == -1 && errno == ENOTDIR, "a file as a directory is ENOTDIR");
  errno = 0;
  check(open("../../x", O_RDONLY) == -1 && errno == EACCES, "a path above the granted directory is EACCES");
  errno = 0;
  check(open("/data/../../x", O_RDONLY) == -1 && errno == EACCES, "an absolute path cannot climb out either");

  check(mkdir("data/sub", 0755) == 0 && rename("data/hello.txt", "data/sub/moved.txt") == 0, "rename into a sub-directory");
  check(stat("data/sub/moved.txt", &st) == 0 && st.st_size == 9 && stat("data/hello.txt", &st) == -1 && errno == ENOENT,
        "stat sees the move");

  /* a directory fd and openat relative to it */
  int dfd = open("data", O_RDONLY | O_DIRECTORY);
  fd = dfd >= 0 ? openat(dfd, "sub/moved.txt", O_RDONLY) : -1;
  check(fd >= 0 && read(fd, line, 9) == 9 && memcmp(line, "HELLO+app", 9) == 0, "openat relative to a directory fd");
  if (fd >= 0) close(fd);
  errno = 0;
  check(dfd >= 0 && openat(dfd, "../persist.txt", O_RDONLY) == -1 && errno == EACCES,
        "openat cannot climb above its directory fd");

  /* readdir: every entry once */
  DIR* d = fdopendir(dfd);
  int saw_big = 0, saw_sub = 0, others = 0;
  struct dirent* e;
  while (d && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, "big.bin") == 0 && e->d_type == DT_REG) ++saw_big;
    else if (strcmp(e->d_name, "sub") == 0 && e->d_type == DT_DIR) ++saw_sub;
    else ++others;
  }
  check(saw_big == 1 && saw_sub == 1 && others == 0, "readdir lists big.bin and sub/");
  if (d) closedir(d);

  errno = 0;
  check(rmdir("data/sub") == -1 && errno == ENOTEMPTY, "rmdir of a non-empty directory is ENOTEMPTY");
  check(unlink("data/sub/moved.txt") == 0 && rmdir("data/sub") == 0 && unlink("data/big.bin") == 0 && rmdir("data") == 0,
        "unlink and rmdir clean up");
  errno = 0;
  check(stat("data", &st) == -1 && errno == ENOENT, "the tree is gone");
}

static void pipes(void) {
  int p[2];
  check(pipe(p) == 0, "pipe");
  struct pollfd pf = {p[0], POLLIN, 0};
  check(poll(&pf, 1, 0) == 0, "poll: an empty pipe is not readable");
  char buf[16];
  check(write(p[1], "ping", 4) == 4, "write into the pipe");
  check(poll(&pf, 1, 1000) == 1 && (pf.revents & POLLIN), "poll: readable after a write");
  check(read(p[0], buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0, "read it back");
  struct stat st;
  check(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode), "a pipe is a FIFO");
  int w2 = dup(p[1]);
  close(p[1]);
  check(write(w2, "x", 1) == 1 && read(p[0], buf, 1) == 1, "a dup'ed write end keeps the pipe open");
  close(w2);
  check(read(p[0], buf, 1) == 0, "end of file once every write end is closed");
  pf.revents = 0;
  check(poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP), "poll: hang-up");
  close(p[0]);
  check(pipe(p) == 0 && close(p[0]) == 0, "a second pipe");
  errno = 0;
  check(write(p[1], "x", 1) == -1 && errno == EPIPE, "writing with no reader left is EPIPE");
  close(p[1]);
  errno = 0;
  check(read(p[0], buf, 1) == -1 && errno == EBADF, "a closed fd is EBADF");
}

/* Reads fd until end of file into buf (NUL-terminated); the byte count. */
static size_t read_all(int fd, char* buf, size_t cap) {
  size_t got = 0;
  ssize_t n;
  while (got + 1 < cap && (n = read(fd, buf + got, cap - 1 - got)) > 0) got += (size_t)n;
  buf[got] = '\0';
  return got;
}

static void children(void) {
  /* argv and envp reach the child; its stdout comes back through a pipe */
  int out[2];
  posix_spawn_file_actions_t fa;
  check(pipe(out) == 0 && posix_spawn_file_actions_init(&fa) == 0 && posix_spawn_file_actions_adddup2(&fa, out[1], 1) == 0,
        "file actions");
  char* const argv[] = {"posix_child", "args", "two words", "", NULL};
  char* const envp[] = {"GREETING=hello child", "PATH=/", NULL};
  pid_t pid = 0;
  check(posix_spawn(&pid, "posix_child", &fa, NULL, argv, envp) == 0, "posix_spawn with a stdout pipe");
  close(out[1]);
  posix_spawn_file_actions_destroy(&fa);
  char buf[256];
  read_all(out[0], buf, sizeof buf);
  check(strcmp(buf, "argc=4 [posix_child] [args] [two words] [] GREETING=hello child HOME=(unset)\n") == 0,
        "the child's argv and environment came back through the pipe");
  close(out[0]);
  int status = -1;
  check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "waitpid after EOF");

  /* both ways: stdin and stdout piped, streamed in turns */
  int in[2];
  check(pipe(in) == 0 && pipe(out) == 0 && posix_spawn_file_actions_init(&fa) == 0 &&
            posix_spawn_file_actions_adddup2(&fa, in[0], 0) == 0 && posix_spawn_file_actions_adddup2(&fa, out[1], 1) == 0,
        "two pipes");
  char* const up[] = {"posix_child", "upper", NULL};
  check(posix_spawn(&pid, "posix_child", &fa, NULL, up, NULL) == 0, "posix_spawn with stdin and stdout pipes");
  close(in[0]);
  close(out[1]);
  posix_spawn_file_actions_destroy(&fa);
  char chunk[2000], back[2000];
  int ok = 1;
  for (int round = 0; ok && round < 5; ++round) {
    for (int i = 0; i < (int)sizeof chunk; ++i) chunk[i] = (char)('a' + (i + round) % 26);
    ok = write(in[1], chunk, sizeof chunk) == (ssize_t)sizeof chunk;
    size_t got = 0;
    while (ok && got < sizeof back) {
      ssize_t n = read(out[0], back + got, sizeof back - got);
      ok = n > 0;
      got += n > 0 ? (size_t)n : 0;
    }
    for (int i = 0; ok && i < (int)sizeof back; ++i) ok = back[i] == chunk[i] - 'a' + 'A';
  }
  check(ok, "10000 bytes through the child and back, upper-cased, in 5 rounds");
  close(in[1]); /* the child's read sees end of file */
  read_all(out[0], buf, sizeof buf);
  check(strcmp(buf, "upper: 10000 bytes, then end of file\n") == 0, "closing stdin ends the child's input");
  close(out[0]);
  check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 3, "the child's exit code");

  /* the fork-for-exec pattern, recorded and turned into a spawn */
  check(pipe(out) == 0, "a pipe for fork");
  pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl("posix_child", "posix_child", "args", "forked", (char*)NULL);
    _exit(127);
  }
  close(out[1]);
  check(pid > 0, "fork + execl returns the child's pid in the parent");
  read_all(out[0], buf, sizeof buf);
  check(strcmp(buf, "argc=3 [posix_child] [args] [forked] GREETING=(unset) HOME=(unset)\n") == 0,
        "the forked child's stdout came back through the pipe");
  close(out[0]);
  check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "waitpid on the forked child");
  errno = 0;
  pid = fork();
  if (pid == 0) {
    execl("no_such_binary", "no_such_binary", (char*)NULL);
    _exit(127);
  }
  check(pid == -1 && errno == ENOENT, "fork + a failing exec: -1 with the exec's errno in the parent");
  errno = 0;
  check(execl("posix_child", "posix_child", (char*)NULL) == -1 && errno == ENOSYS, "exec without fork is ENOSYS");

  /* the Lua runner reads a script from the granted disk, named by argv[1] */
  FILE* script = fopen("/hello.lua", "w");
  check(script && fputs("print('hello from a script on the disk, 6*7=' .. 6 * 7)\n", script) >= 0 &&
            fclose(script) == 0,
        "write /hello.lua");
  check(pipe(out) == 0 && posix_spawn_file_actions_init(&fa) == 0 && posix_spawn_file_actions_adddup2(&fa, out[1], 1) == 0,
        "a pipe for lua");
  char* const lua_argv[] = {"lua", "/hello.lua", NULL};
  check(posix_spawn(&pid, "lua", &fa, NULL, lua_argv, NULL) == 0, "posix_spawn lua /hello.lua");
  close(out[1]);
  posix_spawn_file_actions_destroy(&fa);
  read_all(out[0], buf, sizeof buf);
  close(out[0]);
  check(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "lua ended");
  printf("posix: lua said: %s", buf);
  check(strcmp(buf, "hello from a script on the disk, 6*7=42\n") == 0, "the Lua runner ran /hello.lua from the disk");
  unlink("/hello.lua");

  check(posix_spawn_file_actions_init(&fa) == 0 && posix_spawn_file_actions_addclose(&fa, 1) == 0 &&
            posix_spawn(&pid, "posix_child", &fa, NULL, argv, NULL) == EINVAL,
        "unsupported file actions are EINVAL");
  posix_spawn_file_actions_destroy(&fa);
}

int main(void) {
  check(isatty(1) && !isatty(100), "stdout is the console");
  persistence();
  files();
  pipes();
  children();
  printf(g_failures == 0 ? "posix: all checks passed\n" : "posix: %d checks FAILED\n", g_failures);
  return g_failures;
}
