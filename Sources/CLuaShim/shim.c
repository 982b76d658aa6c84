#include "whittle_lua_shim.h"

static whittle_dispatch_fn dispatcher = 0;

void whittle_set_dispatcher(whittle_dispatch_fn fn) { dispatcher = fn; }

// Every Swift binding is called through here. The Swift frame has returned
// before lua_error runs, so no Swift object is skipped by the longjmp.
static int trampoline(lua_State *L) {
    lua_Integer id = lua_tointeger(L, lua_upvalueindex(1));
    int n = dispatcher ? dispatcher(L, id) : (lua_pushliteral(L, "whittle: no dispatcher"), -1);
    if (n >= 0) return n;
    if (lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);          // "file:line:" of the Lua caller, "" from C
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

void whittle_push_binding(lua_State *L, lua_Integer id) {
    lua_pushinteger(L, id);
    lua_pushcclosure(L, trampoline, 1);
}

lua_Integer whittle_binding_id(lua_State *L, int idx) {
    if (lua_tocfunction(L, idx) != trampoline) return -1;
    if (lua_getupvalue(L, idx, 1) == NULL) return -1;
    lua_Integer id = lua_tointeger(L, -1);
    lua_pop(L, 1);
    return id;
}

static int traceback_handler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int whittle_pcall_traceback(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback_handler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

int whittle_load(lua_State *L, const char *code, size_t len, const char *name) {
    return luaL_loadbufferx(L, code, len, name, "t");
}

static int open_libs(lua_State *L) { luaL_openlibs(L); return 0; }

int whittle_open_libs(lua_State *L) {
    lua_pushcfunction(L, open_libs);
    return lua_pcall(L, 0, 0, 0);
}

void whittle_pop(lua_State *L, int n) { lua_pop(L, n); }
void whittle_newtable(lua_State *L) { lua_newtable(L); }
int whittle_registryindex(void) { return LUA_REGISTRYINDEX; }
int whittle_upvalueindex(int i) { return lua_upvalueindex(i); }
const char *whittle_tostring(lua_State *L, int idx, size_t *len) { return lua_tolstring(L, idx, len); }
int whittle_isnoneornil(lua_State *L, int idx) { return lua_isnoneornil(L, idx); }
int whittle_isinteger(lua_State *L, int idx) { return lua_isinteger(L, idx); }
lua_Number whittle_tonumber(lua_State *L, int idx, int *isnum) { return lua_tonumberx(L, idx, isnum); }
lua_Integer whittle_tointeger(lua_State *L, int idx, int *isnum) { return lua_tointegerx(L, idx, isnum); }
