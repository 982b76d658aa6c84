import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file replacement: every writer in Whittle goes through here so that
/// a failed or interrupted save never leaves a partial file at the destination.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically (temp file in the same directory, fsync, rename).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { sink in try bytes.withUnsafeBytes { try sink.write($0) } }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { sink in try data.withUnsafeBytes { try sink.write($0) } }
    }

    /// Streams the file through `body`; if `body` throws, the temp file is removed
    /// and an existing file at `path` is left untouched.
    public static func write(to path: String, _ body: (AtomicFileSink) throws -> Void) throws {
        let directory = parentDirectory(of: path)
        let base = (path as NSString).lastPathComponent
        guard !base.isEmpty, base != ".", base != ".." else {
            throw FileError.cannotWrite(path: path, reason: "not a file name")
        }
        removeStaleTemporaries(directory: directory, base: base)
        // Hidden and not ending in the destination's extension, so no loader or glob picks
        // it up; the pid lets a later save remove what a killed process left behind.
        var template = Array("\(directory)/\(temporaryPrefix(base))\(getpid())-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileError.cannotWrite(path: path, reason: "cannot create a temporary file in '\(directory)': \(errnoString())") }
        let tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var committed = false
        var open = true
        defer {
            if open { close(fd) }
            if !committed { unlink(tempPath) }
        }
        // mkstemp creates 0600; a saved model should be readable like any other file.
        fchmod(fd, 0o644)
        let sink = AtomicFileSink(fd: fd, path: path)
        try body(sink)
        guard fsync(fd) == 0 else { throw FileError.cannotWrite(path: path, reason: "fsync failed: \(errnoString())") }
        open = false
        guard close(fd) == 0 else { throw FileError.cannotWrite(path: path, reason: "close failed: \(errnoString())") }
        guard rename(tempPath, path) == 0 else { throw FileError.cannotWrite(path: path, reason: errnoString()) }
        committed = true
        // Make the rename itself durable; a failure here cannot un-write the file, so it is ignored.
        let dfd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// Temp files for destination `base` start with this, then the writer's pid.
    static func temporaryPrefix(_ base: String) -> String { ".\(base).tmp-" }

    /// Deletes temp files for `base` whose writer is gone (SIGKILL, power loss: nothing
    /// else can clean them). A live writer's temp file, or an unparsable name, is kept.
    static func removeStaleTemporaries(directory: String, base: String) {
        let prefix = temporaryPrefix(base)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == -1 && errno == ESRCH { unlink(directory + "/" + name) }
        }
    }

    static func parentDirectory(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }
}

/// The open temp file of an atomic write.
public final class AtomicFileSink {
    private let fd: Int32
    private let path: String
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Appends raw bytes, retrying short writes.
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard var p = buffer.baseAddress else { return }
        var left = buffer.count
        while left > 0 {
            let n = Glibc.write(fd, p, min(left, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError.cannotWrite(path: path, reason: errnoString())
            }
            p += n
            left -= n
            bytesWritten += n
        }
    }

    /// Appends the bytes of an array.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}
