import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a sandboxed recipe may write: inside one directory tree, judged by where a
/// path leads rather than how it reads. Every writer (io.open, os.rename, model saves,
/// plots, GGUF/HF exports) goes through `checkWritable` or `checkEntry`.
public struct SandboxPolicy: Sendable, Equatable {
    /// The allowed tree, as a real path (symlinks resolved, no trailing slash).
    public let root: String

    /// A policy for the tree at `root` (resolved now, so later links do not move it).
    public init(root: String) {
        if let real = realpath(root, nil) {
            self.root = String(cString: real)
            free(real)
        } else {
            self.root = root
        }
    }

    /// The real path a write to `path` would land on (opening that path with
    /// O_NOFOLLOW closes the window for a link swapped in afterwards). Throws when it
    /// lands outside the root: the parent is resolved by the kernel's rules (so `..`
    /// after a symlink goes where the kernel goes), and a final component that is a
    /// symlink is followed and must stay inside as well; a dangling one is refused.
    public func checkWritable(_ path: String) throws -> String {
        try checkWritable(path, reportedAs: path, links: 0)
    }

    private func checkWritable(_ path: String, reportedAs original: String, links: Int) throws -> String {
        let (parent, name) = try resolveParent(path, reportedAs: original)
        guard let name else { return try inside(parent, original) }
        let full = join(parent, name)
        var st = stat()
        guard lstat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK else { return try inside(full, original) }
        // A link: the write lands where it points, even when that does not exist yet.
        guard links < 40 else { throw refusal(original, "goes through too many symbolic links") }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(full, &buffer, buffer.count - 1)
        guard n > 0 else { throw refusal(original, "is a symbolic link that cannot be read") }
        let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return try checkWritable(target.hasPrefix("/") ? target : join(parent, target), reportedAs: original, links: links + 1)
    }

    /// The path of the directory entry itself, for operations that do not follow a final
    /// symlink (remove, rename): only the parent has to resolve inside the root.
    public func checkEntry(_ path: String) throws -> String {
        let (parent, name) = try resolveParent(path, reportedAs: path)
        guard let name else { return try inside(parent, path) }
        return try inside(join(parent, name), path)
    }

    /// Splits `path` into its resolved parent and final name (nil when the path names a
    /// directory by ".", ".." or a trailing slash, in which case the whole path is resolved).
    private func resolveParent(_ path: String, reportedAs original: String) throws -> (String, String?) {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw refusal(original, "is not a valid path") }
        let cwd = FileManager.default.currentDirectoryPath
        let absolute = path.hasPrefix("/") ? path : cwd + "/" + path
        var parts = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let trailingSlash = absolute.hasSuffix("/")
        if let last = parts.last, last != ".", last != "..", !trailingSlash {
            parts.removeLast()
            return (try resolveExisting(parts, original), last)
        }
        return (try resolveExisting(parts, original), nil)
    }

    /// Resolves the longest existing prefix with realpath (the kernel's view: links, then
    /// `..`); the rest cannot be links because it does not exist, but must not climb with `..`.
    private func resolveExisting(_ parts: [String], _ original: String) throws -> String {
        var existing = parts
        var missing: [String] = []
        while true {
            let candidate = "/" + existing.joined(separator: "/")
            if let real = realpath(candidate, nil) {
                defer { free(real) }
                var base = String(cString: real)
                for part in missing.reversed() where part != "." {
                    guard part != ".." else { throw refusal(original, "climbs with '..' out of a directory that does not exist") }
                    base = join(base, part)
                }
                return base
            }
            guard let last = existing.popLast() else { throw refusal(original, "cannot be resolved") }
            missing.append(last)
        }
    }

    private func inside(_ resolved: String, _ original: String) throws -> String {
        guard resolved == root || resolved.hasPrefix(root == "/" ? "/" : root + "/") else {
            throw refusal(original, "is outside the working directory")
        }
        return resolved
    }

    private func join(_ dir: String, _ name: String) -> String { dir == "/" ? "/" + name : dir + "/" + name }

    private func refusal(_ path: String, _ why: String) -> SandboxError {
        SandboxError(message: "sandbox: writing '\(path)' \(why)")
    }
}

/// A write the sandbox refused; the message names the path and the reason.
public struct SandboxError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}
