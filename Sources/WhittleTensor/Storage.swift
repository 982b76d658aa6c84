import Foundation

/// A block of bytes holding tensor elements: owned and 64-byte aligned, or
/// borrowed from an owner that keeps it alive (a memory-mapped file).
public final class Storage: @unchecked Sendable {
    /// Start of the bytes.
    public let bytes: UnsafeMutableRawPointer
    /// Length in bytes.
    public let byteCount: Int
    /// True when the bytes belong to a read-only mapping: writers must copy first.
    public let isReadOnly: Bool
    private let owner: AnyObject?

    /// Allocates `byteCount` zeroed bytes.
    public init(zeroedBytes byteCount: Int) {
        self.byteCount = byteCount
        bytes = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
        isReadOnly = false
        owner = nil
    }

    /// Wraps bytes kept alive by `owner` (for example a mapped file); never freed here.
    public init(borrowing bytes: UnsafeRawPointer, byteCount: Int, owner: AnyObject, readOnly: Bool = true) {
        self.bytes = UnsafeMutableRawPointer(mutating: bytes)
        self.byteCount = byteCount
        self.owner = owner
        isReadOnly = readOnly
    }

    deinit { if owner == nil { bytes.deallocate() } }
}
