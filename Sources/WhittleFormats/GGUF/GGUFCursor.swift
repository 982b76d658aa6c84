import Foundation

/// A bounds-checked little-endian reader over a file image: every read first checks what is left.
struct GGUFCursor {
    let buffer: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var remaining: Int { buffer.count - offset }

    mutating func bytes(_ n: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= remaining, let base = buffer.baseAddress else {
            if n == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
            throw GGUFError.truncated(what: what(), offset: buffer.count)
        }
        defer { offset += n }
        return UnsafeRawBufferPointer(start: base + offset, count: n)
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let b = try bytes(MemoryLayout<T>.size, what())
        return T(littleEndian: b.loadUnaligned(as: T.self))
    }

    /// A u64-length-prefixed string, bounded by gguf.cpp's limit and by the bytes left, validated as UTF-8.
    mutating func string(_ context: @autoclosure () -> String) throws -> String {
        let n = try read(UInt64.self, "the length of \(context())")
        guard n <= GGUFLimits.maxStringLength else { throw GGUFError.stringTooLong(context: context(), length: n) }
        guard n <= UInt64(remaining) else {
            throw GGUFError.stringBeyondFile(context: context(), length: n, remainingBytes: remaining)
        }
        let b = try bytes(Int(n), context())
        guard let s = String(validating: b.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw GGUFError.invalidUTF8(context: context())
        }
        return s
    }

    /// `n` fixed-size little-endian values copied out in one move (the caller bounded `n`).
    mutating func array<T: FixedWidthInteger>(_: T.Type, _ n: Int, _ what: @autoclosure () -> String) throws -> [T] {
        let (size, o) = n.multipliedReportingOverflow(by: MemoryLayout<T>.size)
        guard !o else { throw GGUFError.truncated(what: what(), offset: buffer.count) }
        let b = try bytes(size, what())
        return [T](unsafeUninitializedCapacity: n) { out, initialized in
            if let dst = out.baseAddress, let src = b.baseAddress { memcpy(dst, src, size) }
            initialized = n
        }.map { T(littleEndian: $0) }
    }
}
