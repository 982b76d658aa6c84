import ArgumentParser
import Foundation
import WhittleLua
import WhittlePluginHost

/// `--plugin PATH` (repeatable), WHITTLE_PLUGIN_PATH and the project's
/// `Plugins/` folder, for the commands that start a Lua state.
struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugin"), help: ArgumentHelp(
        "Load a plugin: a .lua file, a native .so/.dylib, or a directory of them (repeatable).", valueName: "PATH"))
    var paths: [String] = []

    @Flag(name: .customLong("no-plugin-discovery"), help: "Do not load WHITTLE_PLUGIN_PATH or ./Plugins automatically.")
    var noDiscovery = false

    /// Loads the plugins into `state`, printing each failure to stderr and
    /// carrying on: first WHITTLE_PLUGIN_PATH, then ./Plugins, then --plugin.
    /// Native libraries found in ./Plugins are skipped quietly under --sandbox;
    /// asked for by name, they are an error.
    func load(into state: LuaState) {
        var errors: [PluginError] = []
        if !noDiscovery {
            errors += state.loadPlugins(PluginDiscovery.environmentPaths())
            if let project = PluginDiscovery.projectDirectory() {
                let files = PluginDiscovery.expand(project).filter { !state.sandboxed || PluginDiscovery.isLua($0) }
                errors += state.loadPlugins(files)
            }
        }
        errors += state.loadPlugins(paths)
        for e in errors { FileHandle.standardError.write(Data("whittle: \(e)\n".utf8)) }
    }
}
