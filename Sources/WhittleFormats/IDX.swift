import WhittleTensor

/// Why an IDX file (the MNIST format) could not be read.
public enum IDXError: Error, CustomStringConvertible, Equatable {
    case tooShort(bytes: Int)
    case badMagic(String)
    case unknownTypeCode(UInt8)
    case tooLarge(bytes: String, limit: Int)
    case lengthMismatch(expected: Int, actual: Int)
    case truncated(expected: Int)
    case trailingData(expected: Int)
    case gzip(GzipError)

    public var description: String {
        switch self {
        case .tooShort(let n): return "IDX: file of \(n) bytes is too short for its header"
        case .badMagic(let m): return "IDX: bad magic number \(m) (expected 00 00 <type> <dims>)"
        case .unknownTypeCode(let c): return "IDX: unknown element type code 0x\(String(c, radix: 16, uppercase: true))"
        case .tooLarge(let b, let l): return "IDX: header declares \(b) bytes of data, over the limit of \(l)"
        case .lengthMismatch(let x, let a): return "IDX: header declares \(x) bytes in total but the file has \(a)"
        case .truncated(let x): return "IDX: data ends before the \(x) bytes the header declares (truncated file)"
        case .trailingData(let x): return "IDX: data continues past the \(x) bytes the header declares"
        case .gzip(let g): return "IDX: \(g.description)"
        }
    }
}

/// Reader for IDX files (big-endian header and data), raw or gzip-compressed.
public enum IDX {
    /// Refuses data sections larger than this (4 GiB), whatever the header says.
    public static let maxDataBytes = 1 << 32

    /// Reads an IDX file; i16 data comes back as i32 since Whittle has no i16.
    public static func read(_ path: String) throws -> (shape: [Int], dtype: DType, data: Tensor) {
        let map = try MappedFile(path: path)
        return try parse(map.buffer)
    }

    /// Parses an in-memory IDX image (raw or gzip).
    public static func parse(_ bytes: [UInt8]) throws -> (shape: [Int], dtype: DType, data: Tensor) {
        try bytes.withUnsafeBytes { try parse($0) }
    }

    /// Parses an in-memory IDX image (raw or gzip).
    public static func parse(_ buffer: UnsafeRawBufferPointer) throws -> (shape: [Int], dtype: DType, data: Tensor) {
        if GzipReader.isGzip(buffer) { return try parseGzip(buffer) }
        guard buffer.count >= 4 else { throw IDXError.tooShort(bytes: buffer.count) }
        let (code, rank) = try magic(buffer[0], buffer[1], buffer[2], buffer[3])
        let headerBytes = 4 + 4 * rank
        guard buffer.count >= headerBytes else { throw IDXError.tooShort(bytes: buffer.count) }
        let shape = dims(UnsafeRawBufferPointer(rebasing: buffer[4..<headerBytes]))
        let payload = try payloadBytes(shape: shape, code: code)
        let (total, o) = headerBytes.addingReportingOverflow(payload)
        guard !o, total == buffer.count else {
            throw IDXError.lengthMismatch(expected: o ? Int.max : total, actual: buffer.count)
        }
        let data = UnsafeRawBufferPointer(rebasing: buffer[headerBytes...])
        return try decode(data, shape: shape, code: code)
    }

    private static func parseGzip(_ buffer: UnsafeRawBufferPointer) throws -> (shape: [Int], dtype: DType, data: Tensor) {
        do {
            let z = try GzipReader(buffer)
            let head: [UInt8]
            do { head = try z.readExactly(4) } catch GzipError.truncated { throw IDXError.tooShort(bytes: 0) }
            let (code, rank) = try magic(head[0], head[1], head[2], head[3])
            let dimBytes: [UInt8]
            do { dimBytes = try z.readExactly(4 * rank) } catch GzipError.truncated { throw IDXError.tooShort(bytes: 4) }
            let shape = dimBytes.withUnsafeBytes { dims($0) }
            let payload = try payloadBytes(shape: shape, code: code)
            // A valid deflate stream cannot expand further than this: reject the claim up front.
            guard payload <= GzipReader.maxOutput(forCompressedBytes: buffer.count) else { throw IDXError.truncated(expected: payload) }
            // Grow as data actually arrives, so a lying header cannot make us allocate its claim.
            var data = [UInt8]()
            data.reserveCapacity(min(payload, 64 << 20))
            var chunk = [UInt8](repeating: 0, count: min(max(payload, 1), 4 << 20))
            while data.count < payload {
                let want = min(chunk.count, payload - data.count)
                let n: Int
                do {
                    n = try chunk.withUnsafeMutableBytes { try z.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
                } catch GzipError.truncated { throw IDXError.truncated(expected: payload) }
                if n == 0 { throw IDXError.truncated(expected: payload) }
                data.append(contentsOf: chunk[0..<n])
            }
            guard try z.atEnd() else { throw IDXError.trailingData(expected: payload) }
            return try data.withUnsafeBytes { try decode($0, shape: shape, code: code) }
        } catch let g as GzipError {
            throw IDXError.gzip(g)
        }
    }

    private static func magic(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) throws -> (UInt8, Int) {
        guard a == 0, b == 0 else {
            throw IDXError.badMagic([a, b, c, d].map { String(format2: $0) }.joined(separator: " "))
        }
        guard elementSize(c) != nil else { throw IDXError.unknownTypeCode(c) }
        return (c, Int(d))
    }

    private static func elementSize(_ code: UInt8) -> Int? {
        switch code {
        case 0x08, 0x09: return 1
        case 0x0B: return 2
        case 0x0C, 0x0D: return 4
        case 0x0E: return 8
        default: return nil
        }
    }

    private static func dims(_ b: UnsafeRawBufferPointer) -> [Int] {
        stride(from: 0, to: b.count, by: 4).map { i -> Int in
            let v = b.loadUnaligned(fromByteOffset: i, as: UInt32.self)
            return Int(UInt32(bigEndian: v))
        }
    }

    private static func payloadBytes(shape: [Int], code: UInt8) throws -> Int {
        var n = elementSize(code) ?? 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o, p <= maxDataBytes else {
                throw IDXError.tooLarge(bytes: shape.map(String.init).joined(separator: " x ") + " elements of \(elementSize(code) ?? 1)", limit: maxDataBytes)
            }
            n = p
        }
        return n
    }

    private static func decode(_ data: UnsafeRawBufferPointer, shape: [Int], code: UInt8) throws -> (shape: [Int], dtype: DType, data: Tensor) {
        let dtype: DType
        switch code {
        case 0x08: dtype = .u8
        case 0x09: dtype = .i8
        case 0x0B, 0x0C: dtype = .i32
        case 0x0D: dtype = .f32
        default: dtype = .f64
        }
        let t = try Tensor(zeros: shape, dtype: dtype)
        let out = t.storage.bytes
        let n = t.count
        guard let src = data.baseAddress, n > 0 else { return (shape, dtype, t) }
        switch code {
        case 0x08, 0x09:
            out.copyMemory(from: src, byteCount: n)
        case 0x0B:
            let o = out.assumingMemoryBound(to: Int32.self)
            for i in 0..<n { o[i] = Int32(Int16(bigEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case 0x0C, 0x0D:
            let o = out.assumingMemoryBound(to: UInt32.self)
            for i in 0..<n { o[i] = UInt32(bigEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        default:
            let o = out.assumingMemoryBound(to: UInt64.self)
            for i in 0..<n { o[i] = UInt64(bigEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        }
        return (shape, dtype, t)
    }
}

private extension String {
    init(format2 b: UInt8) {
        let h = String(b, radix: 16, uppercase: true)
        self = h.count == 1 ? "0" + h : h
    }
}
