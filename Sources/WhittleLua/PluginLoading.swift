import CLua
import CLuaShim
import Foundation
import WhittlePasses
import WhittlePluginHost

extension LuaState {
    /// Loads one plugin file into this state: a `.lua` file runs (its
    /// `whittle.register_pass` calls add passes), anything else is a native
    /// library. Returns the names of the passes it added. On failure nothing of
    /// the plugin stays registered and the error names the path and the reason;
    /// the state stays usable. The sandbox refuses native plugins.
    @discardableResult
    public func loadPlugin(_ path: String) throws -> [String] {
        if PluginDiscovery.isLua(path) { return try loadLuaPlugin(path) }
        guard !sandboxed else { throw PluginError(path: path, reason: "native plugins are disabled (--sandbox)") }
        let names = try NativePlugins.load(path, into: passes) { [weak self] line in self?.passContext.log(line) }
        for n in names { definePassFunction(n) }
        return names
    }

    /// Loads every plugin `paths` stand for (directories expanded) and returns
    /// the failures; the others stay loaded.
    public func loadPlugins(_ paths: [String]) -> [PluginError] {
        var errors: [PluginError] = []
        for path in paths {
            for file in PluginDiscovery.expand(path) {
                do { try loadPlugin(file) } catch let e as PluginError { errors.append(e) } catch {
                    errors.append(PluginError(path: file, reason: String(describing: error)))
                }
            }
        }
        return errors
    }

    private func loadLuaPlugin(_ path: String) throws -> [String] {
        func fail(_ reason: String) -> PluginError { PluginError(path: path, reason: reason) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw fail("no such file") }
        guard !isDir.boolValue else { throw fail("is a directory") }
        let canonical = PluginDiscovery.canonical(path)
        let already = passes.all.filter {
            if case .lua(let p) = $0.source { return PluginDiscovery.canonical(p) == canonical }
            return false
        }
        if !already.isEmpty { return already.map(\.name) }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot be read") }
        var code = String(decoding: data, as: UTF8.self)
        if code.hasPrefix("#") { code = "--" + code }
        let before = Set(passes.all.map(\.name))
        let top = lua_gettop(L)
        // Passes registered while the file runs take its path as their source (nested loads restore the outer one).
        Lua.getField(L, Lua.registryIndex, PluginBindings.loadingKey)
        Lua.push(L, path)
        Lua.setField(L, Lua.registryIndex, PluginBindings.loadingKey)
        defer {
            lua_settop(L, top + 1)
            Lua.setField(L, Lua.registryIndex, PluginBindings.loadingKey)
            lua_settop(L, top)
        }
        var message: String?
        do { try load(code, name: "@" + path) } catch { message = String(describing: error) }
        if message == nil, lua_pcallk(L, 0, 0, 0, 0, nil) != LUA_OK {
            message = Lua.string(L, -1) ?? "(error object is not a string)"
        }
        let added = passes.all.map(\.name).filter { !before.contains($0) }
        if let message {
            for name in added {
                passes.unregister(name)
                removePassFunction(name)
            }
            throw fail(message)
        }
        return added
    }

    /// Defines `whittle.<a>.<b>` for a pass added after the prelude ran (it skips names a binding already has).
    func definePassFunction(_ name: String) {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard lua_getglobal(L, "whittle") == LUA_TTABLE, Lua.getField(L, -1, "_define_pass_function") == LUA_TFUNCTION else { return }
        Lua.push(L, name)
        _ = lua_pcallk(L, 1, 0, 0, 0, nil)
    }

    /// Removes the `whittle.<a>.<b>` wrapper of a pass that was unregistered (never a binding).
    func removePassFunction(_ name: String) {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        var parts = name.split(separator: ".").map(String.init)
        guard let leaf = parts.popLast(), lua_getglobal(L, "whittle") == LUA_TTABLE else { return }
        for p in parts {
            guard Lua.getField(L, -1, p) == LUA_TTABLE else { return }
        }
        guard Lua.getField(L, -1, leaf) == LUA_TFUNCTION, lua_iscfunction(L, -1) == 0 else { return }
        Lua.pop(L)
        lua_pushnil(L)
        Lua.setField(L, -2, leaf)
    }
}
