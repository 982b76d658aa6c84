import CZlib

/// Gzip-compresses bytes with zlib (test input for the IDX reader).
func gzip(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
    var s = z_stream()
    precondition(deflateInit2_(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                               Int32(MemoryLayout<z_stream>.size)) == Z_OK, "test bug: deflateInit2")
    defer { deflateEnd(&s) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&s, uLong(input.count))) + 32)
    var src = input
    let produced = src.withUnsafeMutableBufferPointer { inp in
        out.withUnsafeMutableBufferPointer { o in
            s.next_in = inp.baseAddress
            s.avail_in = uInt(inp.count)
            s.next_out = o.baseAddress
            s.avail_out = uInt(o.count)
            precondition(deflate(&s, Z_FINISH) == Z_STREAM_END, "test bug: deflate")
            return o.count - Int(s.avail_out)
        }
    }
    return Array(out[0..<produced])
}

/// An IDX image: magic, big-endian dims, then `data` as given.
func idxImage(code: UInt8, dims: [UInt32], data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0, 0, code, UInt8(dims.count)]
    for d in dims { out += [UInt8(d >> 24), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return out + data
}
