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
        var template = Array("\(directory)/.\(base).tmp-XXXXXX".utf8CString)
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
