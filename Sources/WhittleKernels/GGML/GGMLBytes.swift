/// Little-endian field access inside ggml blocks (f16 via the round-to-nearest-even conversion ggml's
/// GGML_FP32_TO_FP16 uses; blocks are byte-packed so every access is unaligned-safe).
extension UnsafeMutableRawPointer {
    @inline(__always) func storeF16(_ x: Float, at offset: Int) {
        storeBytes(of: Half.bits(x).littleEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inline(__always) func storeU8(_ v: UInt8, at offset: Int) { storeBytes(of: v, toByteOffset: offset, as: UInt8.self) }
    @inline(__always) func storeU16(_ v: UInt16, at offset: Int) { storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self) }
    @inline(__always) func storeU32(_ v: UInt32, at offset: Int) { storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self) }
    @inline(__always) func u8(_ offset: Int) -> UInt8 { load(fromByteOffset: offset, as: UInt8.self) }
    @inline(__always) func f16(_ offset: Int) -> Float { UnsafeRawPointer(self).f16(offset) }
}

extension UnsafeRawPointer {
    @inline(__always) func f16(_ offset: Int) -> Float {
        Half.float(UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
    @inline(__always) func u8(_ offset: Int) -> UInt8 { load(fromByteOffset: offset, as: UInt8.self) }
    @inline(__always) func i8(_ offset: Int) -> Int8 { load(fromByteOffset: offset, as: Int8.self) }
    @inline(__always) func u16(_ offset: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    @inline(__always) func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    @inline(__always) func f32(_ offset: Int) -> Float { Float(bitPattern: u32(offset)) }
}
