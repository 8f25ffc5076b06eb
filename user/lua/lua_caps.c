/* The script's capabilities as typed Lua objects: `caps.<grant name>` is
   an object of its interface (capos.Console, capos.Timer,
   capos.EntropySource) for exactly the caps in the runner's CapSet.
   Reading a name that was not granted raises an error naming it; the
   table cannot be changed. Calls go through the generated libcapos C
   binding; a failed call raises "<Iface>.<method>: <error>". */
#include "lua_caps.h"

#include <lauxlib.h>
#include <string.h>

#include "capos/capos.h"
#include "schema/kernel.capnp.capos_c.h"

typedef struct {
  capos_cap_t cap;
} cap_obj;

static capos_cap_t self_cap(lua_State* L, const char* mt) {
  return ((cap_obj*)luaL_checkudata(L, 1, mt))->cap;
}

static int fail(lua_State* L, const char* what, capos_err_t e) {
  return luaL_error(L, "%s: %s", what, capos_err_name(e)); /* prefixed with the script line */
}

/* --- Console */
static int console_write_line(lua_State* L) {
  capos_Console c = {self_cap(L, "capos.Console")};
  size_t n;
  const char* s = luaL_checklstring(L, 2, &n);
  capos_str text = {s, n};
  capos_err_t e = capos_Console_writeLine(c, text);
  if (e != CAPOS_OK) return fail(L, "Console.writeLine", e);
  return 0;
}

static int console_write(lua_State* L) {
  capos_Console c = {self_cap(L, "capos.Console")};
  size_t n;
  const char* s = luaL_checklstring(L, 2, &n);
  capos_Console_write_results r;
  capos_err_t e = capos_Console_write(c, capos_bytes_of(s, n), &r);
  if (e != CAPOS_OK) return fail(L, "Console.write", e);
  lua_pushinteger(L, (lua_Integer)r.written);
  return 1;
}

/* --- Timer */
static int timer_now(lua_State* L) {
  capos_Timer t = {self_cap(L, "capos.Timer")};
  capos_Timer_now_results r;
  capos_err_t e = capos_Timer_now(t, &r);
  if (e != CAPOS_OK) return fail(L, "Timer.now", e);
  lua_pushinteger(L, (lua_Integer)r.monotonicNs);
  return 1;
}

static int timer_sleep(lua_State* L) {
  capos_Timer t = {self_cap(L, "capos.Timer")};
  lua_Integer ns = luaL_checkinteger(L, 2);
  luaL_argcheck(L, ns >= 0, 2, "negative duration");
  capos_Timer_sleep_results r;
  capos_err_t e = capos_Timer_sleep(t, (uint64_t)ns, &r);
  if (e != CAPOS_OK) return fail(L, "Timer.sleep", e);
  lua_pushinteger(L, (lua_Integer)r.monotonicNs);
  return 1;
}

/* --- EntropySource */
static int entropy_get_bytes(lua_State* L) {
  capos_EntropySource s = {self_cap(L, "capos.EntropySource")};
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_argcheck(L, n >= 0 && n <= 256, 2, "count must be 0..256");
  char buf[256];
  capos_EntropySource_getBytes_results r = {{buf, sizeof buf, 0}};
  capos_err_t e = capos_EntropySource_getBytes(s, (uint32_t)n, &r);
  if (e != CAPOS_OK) return fail(L, "EntropySource.getBytes", e);
  lua_pushlstring(L, buf, r.data.len);
  return 1;
}

static const luaL_Reg console_methods[] = {{"writeLine", console_write_line}, {"write", console_write}, {NULL, NULL}};
static const luaL_Reg timer_methods[] = {{"now", timer_now}, {"sleep", timer_sleep}, {NULL, NULL}};
static const luaL_Reg entropy_methods[] = {{"getBytes", entropy_get_bytes}, {NULL, NULL}};

static const struct {
  uint64_t interface_id;
  const char* metatable;
  const luaL_Reg* methods;
} k_kinds[] = {
    {capos_Console_INTERFACE_ID, "capos.Console", console_methods},
    {capos_Timer_INTERFACE_ID, "capos.Timer", timer_methods},
    {capos_EntropySource_INTERFACE_ID, "capos.EntropySource", entropy_methods},
};
enum { KINDS = sizeof k_kinds / sizeof k_kinds[0] };

static int cap_tostring(lua_State* L) {
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__name");
  lua_pushfstring(L, "%s (cap %d)", lua_tostring(L, -1), (int)((cap_obj*)lua_touserdata(L, 1))->cap);
  return 1;
}

static int caps_missing(lua_State* L) {
  const char* name = luaL_checkstring(L, 2);
  return luaL_error(L, "no capability '%s' granted to this script", name);
}

static int caps_readonly(lua_State* L) { return luaL_error(L, "caps is read-only"); }

void capos_lua_open_caps(lua_State* L) {
  for (int k = 0; k < KINDS; ++k) {
    luaL_newmetatable(L, k_kinds[k].metatable);
    lua_newtable(L); /* the methods (luaL_newlib needs an array, not a pointer) */
    luaL_setfuncs(L, k_kinds[k].methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, cap_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "capability");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  /* The visible `caps` is an empty proxy: reads go to the hidden table
     of granted objects, then to the error; writes are refused. */
  lua_newtable(L); /* proxy */
  lua_newtable(L); /* its metatable */
  lua_newtable(L); /* the granted objects */
  uint32_t count = capos_capset_count();
  for (uint32_t i = 0; i < count; ++i) {
    capos_capset_info info;
    if (capos_capset_entry(i, &info) != CAPOS_OK) continue;
    for (int k = 0; k < KINDS; ++k) {
      if (k_kinds[k].interface_id != info.interface_id) continue;
      lua_pushlstring(L, info.name.ptr, info.name.len);
      cap_obj* o = (cap_obj*)lua_newuserdatauv(L, sizeof *o, 0);
      o->cap = info.cap;
      luaL_setmetatable(L, k_kinds[k].metatable);
      lua_rawset(L, -3);
    }
  }
  lua_newtable(L); /* the granted table's own metatable: missing names */
  lua_pushcfunction(L, caps_missing);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, caps_readonly);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "caps");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_setglobal(L, "caps");
}
