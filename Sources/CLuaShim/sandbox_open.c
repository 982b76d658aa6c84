// io.open for the sandbox's writes. The Swift check hands over the real path the
// write must land on; opening it with O_NOFOLLOW refuses a symlink swapped in at
// that name after the check. Builds a standard Lua file handle, so f:write,
// f:close and io.output work on it as on any io.open result.
#include "whittle_lua_shim.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int close_stream(lua_State *L) {
    luaL_Stream *p = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
    int ok = fclose(p->f) == 0;
    return luaL_fileresult(L, ok, NULL);
}

// The modes io.open accepts: [rwa]%+?b*
static int valid_mode(const char *mode) {
    if (*mode == '\0' || strchr("rwa", *mode) == NULL) return 0;
    mode++;
    if (*mode == '+') mode++;
    return strspn(mode, "b") == strlen(mode);
}

int whittle_open_nofollow(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    const char *mode = luaL_optstring(L, 2, "r");
    luaL_argcheck(L, valid_mode(mode), 2, "invalid mode");
    int flags = mode[0] == 'r' ? 0 : O_CREAT | (mode[0] == 'w' ? O_TRUNC : O_APPEND);
    flags |= strchr(mode, '+') ? O_RDWR : (mode[0] == 'r' ? O_RDONLY : O_WRONLY);
    luaL_Stream *p = (luaL_Stream *)lua_newuserdatauv(L, sizeof(luaL_Stream), 0);
    p->f = NULL;
    p->closef = NULL;  // a closed handle until the open succeeds
    luaL_setmetatable(L, LUA_FILEHANDLE);
    int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) return luaL_fileresult(L, 0, path);
    p->f = fdopen(fd, mode);
    if (p->f == NULL) {
        int saved = errno;
        close(fd);
        errno = saved;
        return luaL_fileresult(L, 0, path);
    }
    p->closef = &close_stream;
    return 1;
}
