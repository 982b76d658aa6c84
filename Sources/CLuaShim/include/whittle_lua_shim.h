// The only C between Swift and Lua. Lua raises errors with longjmp, which
// would skip Swift deinit/defer, so Swift bindings never raise: they return
// a result count, or -1 with an error message pushed, and the trampoline
// below raises the Lua error after the Swift frame has returned.
#ifndef WHITTLE_LUA_SHIM_H
#define WHITTLE_LUA_SHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

/// Swift dispatcher: runs binding `id`; returns the number of results, or -1
/// after pushing an error message (the trampoline adds the caller's file:line).
typedef int (*whittle_dispatch_fn)(lua_State *L, lua_Integer id);

/// Installs the dispatcher that every binding closure calls (once per process).
void whittle_set_dispatcher(whittle_dispatch_fn fn);

/// Pushes a C closure that calls binding `id` through the trampoline.
void whittle_push_binding(lua_State *L, lua_Integer id);

/// The binding id of the function at `idx`, or -1 when it is not a binding.
lua_Integer whittle_binding_id(lua_State *L, int idx);

/// lua_pcall with a message handler that appends a traceback to string errors.
/// Returns the Lua status (LUA_OK on success).
int whittle_pcall_traceback(lua_State *L, int nargs, int nresults);

/// Loads `code` as a chunk named `name` (LUA_OK or an error message pushed).
int whittle_load(lua_State *L, const char *code, size_t len, const char *name);

/// Opens the standard libraries in protected mode (LUA_OK or a message pushed).
int whittle_open_libs(lua_State *L);

/// io.open(path, mode) that refuses a symlink as the final component (O_NOFOLLOW):
/// the sandbox opens the real path its check resolved.
int whittle_open_nofollow(lua_State *L);

// Wrappers for Lua macros, which do not import into Swift.
void whittle_pop(lua_State *L, int n);
void whittle_newtable(lua_State *L);
int whittle_registryindex(void);
int whittle_upvalueindex(int i);
const char *whittle_tostring(lua_State *L, int idx, size_t *len);
int whittle_isnoneornil(lua_State *L, int idx);
int whittle_isinteger(lua_State *L, int idx);
lua_Number whittle_tonumber(lua_State *L, int idx, int *isnum);
lua_Integer whittle_tointeger(lua_State *L, int idx, int *isnum);

#endif
