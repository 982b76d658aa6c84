import CZlib

/// Why a gzip stream could not be decompressed.
public enum GzipError: Error, CustomStringConvertible, Equatable {
    case corrupt(String)
    case truncated
    case trailingData

    public var description: String {
        switch self {
        case .corrupt(let m): return "gzip: corrupt data (\(m))"
        case .truncated: return "gzip: the compressed stream ends early (truncated file)"
        case .trailingData: return "gzip: unexpected data after the end of the compressed stream"
        }
    }
}

/// Pull-style gzip decompression over an in-memory buffer, so callers decide
/// how much output they accept (the defence against decompression bombs).
public final class GzipReader {
    private var stream = z_stream()
    private let input: UnsafeRawBufferPointer
    private var finished = false
    private var live = false

    /// True when `bytes` starts with the gzip magic number.
    public static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Deflate cannot expand more than about 1032:1, so this bounds the output of a valid stream.
    public static func maxOutput(forCompressedBytes n: Int) -> Int {
        let (p, o) = n.multipliedReportingOverflow(by: 1032)
        return o ? Int.max : p + 1024
    }

    /// Starts reading a gzip stream; `input` must stay valid while the reader is used.
    public init(_ input: UnsafeRawBufferPointer) throws {
        self.input = input
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = 0
        let rc = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw GzipError.corrupt("inflateInit2 failed with code \(rc)") }
        live = true
        refill()
    }

    deinit { if live { inflateEnd(&stream) } }

    private var fed = 0

    // avail_in is 32-bit; feed large inputs in slices.
    private func refill() {
        guard stream.avail_in == 0, fed < input.count, let base = input.baseAddress else { return }
        let n = min(input.count - fed, 1 << 30)
        stream.next_in = UnsafeMutablePointer(mutating: (base + fed).assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(n)
        fed += n
    }

    /// Fills `buffer` as far as the stream allows; returns the bytes produced (0 at the end).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var produced = 0
        while produced < buffer.count && !finished {
            refill()
            let want = min(buffer.count - produced, 1 << 30)
            let inBefore = stream.avail_in
            stream.next_out = (out + produced).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(want)
            let rc = inflate(&stream, Z_NO_FLUSH)
            produced += want - Int(stream.avail_out)
            switch rc {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let left = Int(stream.avail_in) + (input.count - fed)
                if left == 0 { finished = true; break }
                // Concatenated members are valid gzip (as `cat a.gz b.gz`); anything else is not.
                let pos = input.count - left
                guard left >= 2, input[pos] == 0x1F, input[pos + 1] == 0x8B else { throw GzipError.trailingData }
                guard inflateReset(&stream) == Z_OK else { throw GzipError.corrupt("inflateReset failed") }
            case Z_BUF_ERROR:
                if stream.avail_in == 0 && fed == input.count { throw GzipError.truncated }
                // zlib reports no progress this way; looping again would spin forever.
                if stream.avail_in == inBefore && Int(stream.avail_out) == want { throw GzipError.corrupt("no progress") }
                continue
            default:
                let msg = stream.msg.map { String(cString: $0) } ?? "zlib code \(rc)"
                throw GzipError.corrupt(msg)
            }
        }
        return produced
    }

    /// Reads exactly `count` bytes or throws `truncated`.
    public func readExactly(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let n = try out.withUnsafeMutableBytes { try read(into: $0) }
        guard n == count else { throw GzipError.truncated }
        return out
    }

    /// True once the whole input has been decompressed; checks there is no more output.
    public func atEnd() throws -> Bool {
        var probe: UInt8 = 0
        let n = try withUnsafeMutableBytes(of: &probe) { try read(into: $0) }
        return n == 0 && finished
    }
}
