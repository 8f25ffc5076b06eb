/* The capability-scoped Lua runner: Debian's Lua 5.4 (liblua5.4.a,
   unmodified) with only the libraries that need no ambient authority
   (base without dofile/loadfile, coroutine, table, string, math, utf8, and
   a clock-only `os`), plus `caps` (lua_caps.c). No io, os.execute or
   package/loadlib. Runs the script linked into the binary (lua_script.h),
   else the script file named by argv[1] (read through the POSIX layer,
   so only from a Directory granted as root/cwd) with the global `arg` as
   the standalone `lua` sets it (arg[0] the script, arg[1..] the rest),
   else it is an interactive REPL on stdin/stdout. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lua_caps.h"
#include "lua_script.h"

static void* lua_alloc(void* ud, void* p, size_t old, size_t n) {
  (void)ud;
  (void)old;
  if (n == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, n);
}

/* os.clock and os.time only: boot-relative, from the Timer if granted
   (docs/posix.md). */
static int os_clock(lua_State* L) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return luaL_error(L, "os.clock: no timer granted");
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

static int os_time(lua_State* L) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return luaL_error(L, "os.time: no timer granted");
  lua_pushinteger(L, (lua_Integer)ts.tv_sec);
  return 1;
}

static const luaL_Reg os_funcs[] = {{"clock", os_clock}, {"time", os_time}, {NULL, NULL}};

static int open_os(lua_State* L) {
  luaL_newlib(L, os_funcs);
  return 1;
}

static void open_libs(lua_State* L) {
  static const luaL_Reg libs[] = {
      {LUA_GNAME, luaopen_base},          {LUA_COLIBNAME, luaopen_coroutine}, {LUA_TABLIBNAME, luaopen_table},
      {LUA_STRLIBNAME, luaopen_string},   {LUA_MATHLIBNAME, luaopen_math},    {LUA_UTF8LIBNAME, luaopen_utf8},
      {LUA_OSLIBNAME, open_os},           {NULL, NULL},
  };
  for (const luaL_Reg* l = libs; l->func; ++l) {
    luaL_requiref(L, l->name, l->func, 1);
    lua_pop(L, 1);
  }
  /* Base functions that would read files by name. */
  lua_pushnil(L);
  lua_setglobal(L, "dofile");
  lua_pushnil(L);
  lua_setglobal(L, "loadfile");
  capos_lua_open_caps(L);
}

static int traceback(lua_State* L) {
  const char* msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
  return 1;
}

/* Runs the chunk on the stack; prints its error. 0 on success. */
static int run(lua_State* L, int nresults) {
  int base = lua_gettop(L);
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  int rc = lua_pcall(L, 0, nresults, base);
  lua_remove(L, base);
  if (rc != LUA_OK) {
    fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return rc;
}

/* 1 when stdin is a shell's terminal (user/libc/os/terminal.cpp): its
   lines arrive already echoed and edited. */
int capos_libc_stdin_cooked(void);

/* One line from the console with echo and backspace, or from the shell's
   terminal as it is; -1 at end of input (Ctrl-D on an empty line). */
static int read_line(char* buf, size_t cap) {
  if (capos_libc_stdin_cooked()) {
    if (fgets(buf, (int)cap, stdin) == NULL) return -1;
    size_t len = strlen(buf);
    if (len > 0 && buf[len - 1] == '\n') buf[--len] = 0;
    return (int)len;
  }
  size_t n = 0;
  for (;;) {
    char c;
    if (read(0, &c, 1) != 1) return -1;
    if (c == '\r' || c == '\n') {
      (void)write(1, "\n", 1);
      buf[n] = 0;
      return (int)n;
    }
    if (c == 4 && n == 0) return -1;
    if ((c == 0x7f || c == 8) && n > 0) {
      --n;
      (void)write(1, "\b \b", 3);
      continue;
    }
    if (c >= 32 && c < 127 && n + 1 < cap) {
      buf[n++] = c;
      (void)write(1, &c, 1);
    }
  }
}

static void repl(lua_State* L) {
  printf("%s (capOS runner: caps, no io/os.execute/package). Ctrl-D ends.\n", LUA_RELEASE);
  char line[512];
  for (;;) {
    fputs("> ", stdout);
    fflush(stdout);
    if (read_line(line, sizeof line) < 0) break;
    /* An expression prints its values; otherwise a statement. */
    lua_pushfstring(L, "return %s", line);
    const char* code = lua_tostring(L, -1);
    int loaded = luaL_loadbuffer(L, code, strlen(code), "=stdin");
    lua_remove(L, -2);
    if (loaded != LUA_OK) {
      lua_pop(L, 1);
      loaded = luaL_loadbuffer(L, line, strlen(line), "=stdin");
    }
    if (loaded != LUA_OK) {
      printf("%s\n", lua_tostring(L, -1));
      lua_pop(L, 1);
      continue;
    }
    int top = lua_gettop(L) - 1;
    if (run(L, LUA_MULTRET) != LUA_OK) continue;
    int n = lua_gettop(L) - top;
    for (int i = 1; i <= n; ++i) {
      printf("%s%s", i > 1 ? "\t" : "", luaL_tolstring(L, top + i, NULL));
      lua_pop(L, 1);
    }
    if (n > 0) printf("\n");
    lua_settop(L, top);
  }
}

/* The whole file at `path` on the heap (NUL-terminated); NULL with errno. */
/* The standalone interpreter's `arg` table: arg[0] is the script name,
   arg[1..] the words after it. */
static void set_arg(lua_State* L, int argc, char** argv) {
  lua_createtable(L, argc - 2, 1);
  for (int i = 1; i < argc; ++i) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");
}

static char* read_file(const char* path, size_t* len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char* buf = malloc(cap);
  ssize_t r = 0;
  while (buf && (r = read(fd, buf + n, cap - n - 1)) > 0) {
    n += (size_t)r;
    if (cap - n - 1 == 0) {
      char* bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  close(fd);
  if (buf == NULL || r < 0) {
    free(buf);
    return NULL;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

int main(int argc, char** argv) {
  lua_State* L = lua_newstate(lua_alloc, NULL);
  if (L == NULL) {
    fprintf(stderr, "lua: cannot create a state (out of memory)\n");
    return 1;
  }
  open_libs(L);
  int status = 0;
  if (capos_lua_script_len > 0) {
    if (luaL_loadbuffer(L, capos_lua_script, capos_lua_script_len, capos_lua_script_name) != LUA_OK) {
      fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
      status = 1;
    } else if (run(L, 0) != LUA_OK) {
      status = 1;
    }
  } else if (argc >= 2) {
    set_arg(L, argc, argv);
    size_t len;
    char* code = read_file(argv[1], &len);
    lua_pushfstring(L, "@%s", argv[1]);
    const char* chunk = lua_tostring(L, -1);
    if (code == NULL) {
      fprintf(stderr, "lua: cannot read %s: %s\n", argv[1], strerror(errno));
      status = 1;
    } else if (luaL_loadbuffer(L, code, len, chunk) != LUA_OK) {
      fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
      status = 1;
    } else if (run(L, 0) != LUA_OK) {
      status = 1;
    }
    free(code);
  } else {
    repl(L);
  }
  lua_close(L);
  return status;
}
