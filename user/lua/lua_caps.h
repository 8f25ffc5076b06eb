/* The `caps` global of the Lua runner (lua_caps.c). */
#pragma once

#include <lua.h>

/* Defines `caps` from the runner's CapSet. */
void capos_lua_open_caps(lua_State* L);
