/// Row codecs for the ggml block types: the scalar reference quantizers and dequantizers,
/// bit-exact with ggml's `ggml-quants.c` and gguf-py.
public enum GGMLCodec {
    /// Decodes `count` elements (a multiple of the type's block size) from ggml blocks at `src`.
    public static func dequantize(_ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        // Filled in by the GGML types work; until then only the plain float types decode.
        switch type {
        case .f32: dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16: for i in 0..<count { dst[i] = Half.float(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16: for i in 0..<count { dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
        default: dst.update(repeating: .nan, count: count)
        }
    }
}
