/// A plugin that could not be loaded: its path and why. The host reports it and
/// carries on with the other plugins.
public struct PluginError: Error, CustomStringConvertible, Equatable {
    /// The plugin file as the user named it.
    public let path: String
    /// What went wrong ("no such file", "built for plugin ABI version 0, ...").
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "plugin '\(path)': \(reason)" }
}

/// Rules every plugin pass name follows, Lua or native.
public enum PassNames {
    /// Dotted lower-case segments of [a-z0-9_], each starting with a letter or "_"
    /// ("clip.outliers"), so that every name is also a valid `whittle.a.b` path.
    public static func isValid(_ name: String) -> Bool {
        let segments = name.split(separator: ".", omittingEmptySubsequences: false)
        guard !segments.isEmpty, name.utf8.count <= 128 else { return false }
        return segments.allSatisfy { s in
            guard let first = s.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) else { return false }
            return s.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        }
    }

    /// The message for an invalid name.
    public static func invalidMessage(_ name: String) -> String {
        "invalid pass name '\(name)' (use dotted lower-case words: [a-z_][a-z0-9_]* separated by '.')"
    }
}
