import Foundation

/// Where plugins come from: `--plugin PATH` (file or directory), the
/// `WHITTLE_PLUGIN_PATH` variable, and the project's `Plugins/` folder.
public enum PluginDiscovery {
    /// File extensions that name a plugin: Lua source or a shared library.
    public static let extensions: Set<String> = ["lua", "so", "dylib"]

    /// The environment variable holding extra plugin paths (':'-separated).
    public static let environmentVariable = "WHITTLE_PLUGIN_PATH"

    /// True for a file name with a plugin extension.
    public static func isPluginFile(_ path: String) -> Bool {
        extensions.contains(URL(fileURLWithPath: path).pathExtension)
    }

    /// True when `path` names a Lua plugin rather than a native one.
    public static func isLua(_ path: String) -> Bool { URL(fileURLWithPath: path).pathExtension == "lua" }

    /// The plugin files a path stands for: a file is itself (whatever its name,
    /// so that loading it reports what is wrong with it); a directory gives its
    /// plugin files and those of its immediate subdirectories (one plugin per
    /// folder, e.g. Plugins/clip/libwhittle_clip.so), sorted by name; a missing
    /// path is returned as is so that loading it reports "no such file".
    public static func expand(_ path: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return [path] }
        var out: [String] = []
        for entry in sortedEntries(path) {
            let full = join(path, entry)
            var sub: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &sub) else { continue }
            if sub.boolValue {
                out += sortedEntries(full).map { join(full, $0) }.filter { isPluginFile($0) && !isDirectory($0) }
            } else if isPluginFile(full) {
                out.append(full)
            }
        }
        return out
    }

    /// Entries of WHITTLE_PLUGIN_PATH (empty entries skipped).
    public static func environmentPaths(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        (environment[environmentVariable] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
    }

    /// The project's plugin folder (`Plugins` in the working directory) when it exists.
    public static func projectDirectory(_ cwd: String = FileManager.default.currentDirectoryPath) -> String? {
        let dir = join(cwd, "Plugins")
        return isDirectory(dir) ? "Plugins" : nil
    }

    /// A canonical form of `path` for comparing two names of one file (symlinks resolved).
    public static func canonical(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : join(FileManager.default.currentDirectoryPath, path)
        guard let real = realpath(absolute, nil) else { return URL(fileURLWithPath: absolute).standardized.path }
        defer { free(real) }
        return String(cString: real)
    }

    private static func sortedEntries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    private static func join(_ dir: String, _ name: String) -> String { dir.hasSuffix("/") ? dir + name : dir + "/" + name }
}
