import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A whole file memory-mapped read-only. Tensors borrow its bytes and keep
/// it alive as their storage owner; the mapping is released when the last one goes.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    /// Start of the mapping (nil for an empty file, which cannot be mapped).
    public let bytes: UnsafeRawPointer?
    /// File length in bytes.
    public let count: Int

    /// Maps `path` read-only; throws `FileError` when it cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError.cannotOpen(path: path, reason: errnoString()) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError.cannotRead(path: path, reason: errnoString()) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FileError.cannotOpen(path: path, reason: "not a regular file") }
        count = Int(st.st_size)
        if count == 0 {
            bytes = nil
            return
        }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw FileError.cannotMap(path: path, reason: errnoString()) }
        bytes = UnsafeRawPointer(p)
    }

    deinit {
        if let bytes { munmap(UnsafeMutableRawPointer(mutating: bytes), count) }
    }

    /// The mapped bytes as a buffer (empty for an empty file).
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes, count: count) }
}

/// Reads a whole file into memory, refusing files over `limit` bytes.
public func readWholeFile(_ path: String, limit: Int = 1 << 32) throws -> [UInt8] {
    let map = try MappedFile(path: path)
    guard map.count <= limit else { throw FileError.tooLarge(path: path, bytes: map.count, limit: limit) }
    return Array(map.buffer)
}
