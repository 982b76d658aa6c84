import WhittleKernels
import WhittleTensor

/// One tensor's record in a GGUF header: name, ggml type, dimensions and where its bytes are.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// Tensor name (at most 63 bytes).
    public let name: String
    /// The ggml type (possibly one Whittle cannot load; see `dtype`).
    public let type: GGMLType
    /// Dimensions in ggml order: `dims[0]` (ne[0]) is the row length, the innermost extent.
    public let dims: [Int]
    /// Offset of the data from the start of the data section.
    public let offset: Int
    /// Bytes of data.
    public let byteCount: Int

    /// Whittle's row-major shape: the dimensions reversed (`[ne[n-1], ..., ne[0]]`).
    public var shape: [Int] { dims.reversed() }
    /// Number of elements.
    public var elementCount: Int { dims.reduce(1, *) }
    /// The Whittle dtype, or nil for a ggml type Whittle cannot hold.
    public var dtype: DType? { DType(ggml: type) }
}
