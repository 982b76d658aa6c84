import Foundation
import WhittlePasses
import WhittlePluginABI

/// Loads native plugins: shared libraries exporting `whittle_plugin_abi_version`
/// and `whittle_plugin_init` (see whittle_plugin.h).
public enum NativePlugins {
    /// The ABI version this host implements.
    public static let abiVersion = WHITTLE_PLUGIN_ABI_VERSION

    /// Loads the library at `path` and registers its passes into `registry`;
    /// returns their names. Loading a file already loaded into `registry` again
    /// returns the passes it has. On failure nothing stays registered and the
    /// error names the path and the reason.
    public static func load(_ path: String, into registry: PassRegistry, log: @escaping (String) -> Void = { _ in }) throws -> [String] {
        func fail(_ reason: String) -> PluginError { PluginError(path: path, reason: reason) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw fail("no such file") }
        guard !isDir.boolValue else { throw fail("is a directory") }
        let canonical = PluginDiscovery.canonical(path)
        let already = registry.all.filter {
            if case .native(let p) = $0.source { return PluginDiscovery.canonical(p) == canonical }
            return false
        }
        if !already.isEmpty { return already.map(\.name) }
        guard let magic = FileManager.default.contents(atPath: path)?.prefix(4), isSharedLibraryMagic(Array(magic)) else {
            throw fail("not a shared library")
        }
        // A name without a slash would send dlopen searching the library path.
        guard let library = dlopen(canonical, RTLD_NOW | RTLD_LOCAL) else {
            throw fail("cannot be loaded: \(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
        }
        typealias VersionFn = @convention(c) () -> UInt32
        typealias InitFn = @convention(c) (UnsafePointer<whittle_host_api>?) -> Int32
        guard let versionSymbol = dlsym(library, "whittle_plugin_abi_version") else {
            throw fail("missing entry symbol 'whittle_plugin_abi_version'")
        }
        let version = unsafeBitCast(versionSymbol, to: VersionFn.self)()
        guard version == abiVersion else {
            throw fail("built for plugin ABI version \(version), but this host supports version \(abiVersion)")
        }
        guard let initSymbol = dlsym(library, "whittle_plugin_init") else {
            throw fail("missing entry symbol 'whittle_plugin_init'")
        }
        let load = LoadContext(path: path, library: library, registry: registry, log: log)
        let api = HostAPI.make(for: load)
        LoadedPlugins.keep(load)
        let code = unsafeBitCast(initSymbol, to: InitFn.self)(api)
        load.registry = nil
        let problem: String?
        if let registration = load.registrationError {
            problem = registration
        } else if code != WHITTLE_OK {
            let detail = load.lastError.isEmpty ? "" : ": " + load.lastError
            problem = "whittle_plugin_init failed with code \(code) (\(statusName(code)))\(detail)"
        } else {
            problem = nil
        }
        if let problem {
            for name in load.registered { registry.unregister(name) }
            throw fail(problem)
        }
        return load.registered
    }

    /// ELF, or one of the Mach-O magics in either byte order.
    static func isSharedLibraryMagic(_ b: [UInt8]) -> Bool {
        guard b.count == 4 else { return false }
        if b == [0x7F, 0x45, 0x4C, 0x46] { return true }
        let machO: [[UInt8]] = [[0xFE, 0xED, 0xFA, 0xCE], [0xFE, 0xED, 0xFA, 0xCF], [0xCA, 0xFE, 0xBA, 0xBE]]
        return machO.contains(b) || machO.contains(b.reversed())
    }
}

/// Every plugin load context of the process: the API structs handed out point
/// at them and must stay valid for as long as the library is mapped (forever).
enum LoadedPlugins {
    nonisolated(unsafe) private static var loads: [LoadContext] = []
    private static let lock = NSLock()

    static func keep(_ load: LoadContext) {
        lock.lock(); defer { lock.unlock() }
        loads.append(load)
    }
}
