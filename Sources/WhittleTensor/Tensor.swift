import WhittleKernels
import Synchronization

/// A dense, contiguous, row-major n-dimensional array. Reference semantics, as
/// in torch: `reshape` returns a view sharing storage, `clone` copies.
public final class Tensor: @unchecked Sendable {
    /// Extent of each dimension; empty for a scalar.
    public let shape: [Int]
    /// Element type of the storage.
    public let dtype: DType
    /// Number of elements (product of the shape).
    public let count: Int
    /// The bytes; replaced by a private copy before writing to read-only storage.
    public private(set) var storage: Storage

    /// Live instances, for leak tests (every init increments, deinit decrements).
    public static let liveCount = Atomic<Int>(0)

    /// A zero-filled tensor; throws on a negative extent or an overflowing size.
    public init(zeros shape: [Int], dtype: DType = .f32) throws {
        let n = try Tensor.checkedCount(shape)
        let bytes = try Tensor.storageBytes(shape: shape, count: n, dtype: dtype)
        self.shape = shape
        self.dtype = dtype
        count = n
        storage = try Storage(zeroed: bytes, what: "a \(shapeString(shape)) \(dtype) tensor")
        Tensor.liveCount.add(1, ordering: .relaxed)
    }

    /// A zero-filled tensor shaped like one that already exists (so the shape is valid);
    /// may go past the memory budget. Input-dependent sizes use `init(zeros:dtype:)`.
    private init(validZeros shape: [Int], dtype: DType, count: Int, byteCount: Int) {
        self.shape = shape
        self.dtype = dtype
        self.count = count
        storage = Storage(zeroedBytes: byteCount)
        Tensor.liveCount.add(1, ordering: .relaxed)
    }

    /// Wraps existing storage (a view or mapped file data); the storage must hold the elements.
    public init(shape: [Int], dtype: DType, storage: Storage) throws {
        let n = try Tensor.checkedCount(shape)
        guard try Tensor.storageBytes(shape: shape, count: n, dtype: dtype) <= storage.byteCount else {
            throw TensorError.invalidShape("storage of \(storage.byteCount) bytes cannot hold \(shapeString(shape)) \(dtype)")
        }
        self.shape = shape
        self.dtype = dtype
        count = n
        self.storage = storage
        Tensor.liveCount.add(1, ordering: .relaxed)
    }

    /// An f32 tensor holding `values` (row-major) with the given shape.
    public convenience init(shape: [Int], values: [Float]) throws {
        try self.init(zeros: shape)
        guard values.count == count else {
            throw TensorError.shapeMismatch("\(values.count) values do not fill shape \(shapeString(shape))")
        }
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { floats.update(from: base, count: count) }
        }
    }

    /// A rank-0 f32 tensor.
    public convenience init(scalar: Float) {
        self.init(validZeros: [], dtype: .f32, count: 1, byteCount: 4)
        floats[0] = scalar
    }

    deinit { Tensor.liveCount.subtract(1, ordering: .relaxed) }

    /// Product of `shape`, rejecting negative extents and overflow.
    public static func checkedCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw TensorError.invalidShape("negative dimension \(d) in shape \(shape)") }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw TensorError.invalidShape("shape \(shape) has too many elements") }
            n = p
        }
        return n
    }

    /// Bytes that `count` elements of `dtype` need; block types need a last dimension
    /// that is a multiple of the block size.
    public static func storageBytes(shape: [Int], count: Int, dtype: DType) throws -> Int {
        if dtype.isBlock, let last = shape.last, last % dtype.blockSize != 0 {
            throw TensorError.invalidShape("\(dtype) needs rows that are a multiple of \(dtype.blockSize), got shape \(shapeString(shape))")
        }
        if dtype.isBlock && shape.isEmpty { throw TensorError.invalidShape("\(dtype) cannot hold a scalar") }
        guard let bytes = dtype.byteCount(elements: count) else {
            throw TensorError.invalidShape("shape \(shapeString(shape)) is too large for \(dtype)")
        }
        return bytes
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Bytes the elements occupy.
    public var byteCount: Int { dtype.byteCount(elements: count) ?? 0 }

    /// The f32 elements; only for `dtype == .f32` (callers check `requireF32` first).
    /// Writing through this pointer needs `makeWritable()` on read-only storage.
    public var floats: UnsafeMutablePointer<Float> { storage.bytes.assumingMemoryBound(to: Float.self) }

    /// Throws unless the tensor holds f32 elements.
    public func requireF32(_ op: String) throws {
        guard dtype == .f32 else { throw TensorError.unsupportedDType("\(op): needs an f32 tensor, got \(dtype)") }
    }

    /// Copies read-only (mapped) storage so that the tensor can be written.
    /// May go past the memory budget; code reachable from a recipe uses `checkedMakeWritable()`.
    public func makeWritable() {
        guard storage.isReadOnly else { return }
        let copy = Storage(zeroedBytes: storage.byteCount)
        copy.bytes.copyMemory(from: storage.bytes, byteCount: storage.byteCount)
        storage = copy
    }

    /// `makeWritable()` through the memory budget: throws an `AllocationError` instead of going over.
    public func checkedMakeWritable() throws {
        guard storage.isReadOnly else { return }
        storage = try storage.copy(what: "a writable copy of a \(shapeString(shape)) \(dtype) tensor")
    }

    /// `clone()` through the memory budget.
    public func checkedClone() throws -> Tensor {
        let out = try Tensor(zeros: shape, dtype: dtype)
        out.storage.bytes.copyMemory(from: storage.bytes, byteCount: byteCount)
        return out
    }

    /// `toF32()` through the memory budget.
    public func checkedF32() throws -> Tensor {
        try Tensor.checkedF32Bytes(shape: shape, count: count)
        return toF32()
    }

    /// Throws unless an f32 tensor of this shape fits in the budget now.
    private static func checkedF32Bytes(shape: [Int], count: Int) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow else { throw TensorError.invalidShape("shape \(shapeString(shape)) is too large for f32") }
        try MemoryBudget.check(bytes: bytes, what: "a \(shapeString(shape)) f32 tensor")
    }

    /// The elements as a Swift array (converted to f32 from any dtype).
    public func toArray() -> [Float] {
        if dtype == .f32 { return Array(UnsafeBufferPointer(start: floats, count: count)) }
        return (0..<count).map { element(at: $0) }
    }

    /// Element `i` (flat, 0-based) converted to Float, whatever the dtype.
    public func element(at i: Int) -> Float {
        let p = UnsafeRawPointer(storage.bytes)
        switch dtype {
        case .f32: return p.load(fromByteOffset: i * 4, as: Float.self)
        case .f16: return Float(halfBits: p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
        case .bf16: return Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) << 16)
        case .i8: return Float(p.load(fromByteOffset: i, as: Int8.self))
        case .u8, .bool: return Float(p.load(fromByteOffset: i, as: UInt8.self))
        case .i32: return Float(p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
        case .i64: return Float(p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
        case .f64: return Float(p.loadUnaligned(fromByteOffset: i * 8, as: Double.self))
        default:
            // Block types: decode the block holding element i.
            let bs = dtype.blockSize
            guard let g = dtype.ggmlBlockType else { return .nan }
            var out = [Float](repeating: 0, count: bs)
            out.withUnsafeMutableBufferPointer { dst in
                GGMLCodec.dequantize(g, p + (i / bs) * dtype.size, dst.baseAddress!, count: bs)
            }
            return out[i % bs]
        }
    }

    /// A copy converted to f32 (a new tensor even when already f32).
    /// May go past the memory budget; code reachable from a recipe uses `checkedF32()`.
    public func toF32() -> Tensor {
        let out = Tensor(validZeros: shape, dtype: .f32, count: count, byteCount: count * 4)
        if dtype == .f32 {
            out.floats.update(from: floats, count: count)
        } else if let g = dtype.ggmlBlockType {
            GGMLCodec.dequantize(g, UnsafeRawPointer(storage.bytes), out.floats, count: count)
        } else {
            for i in 0..<count { out.floats[i] = element(at: i) }
        }
        return out
    }

    /// A deep copy. May go past the memory budget; code reachable from a recipe uses `checkedClone()`.
    public func clone() -> Tensor {
        let out = Tensor(validZeros: shape, dtype: dtype, count: count, byteCount: byteCount)
        out.storage.bytes.copyMemory(from: storage.bytes, byteCount: byteCount)
        return out
    }

    /// Flat offset of a 0-based multi-index, bounds-checked.
    public func offset(of index: [Int]) throws -> Int {
        guard index.count == rank else {
            throw TensorError.indexOutOfRange("expected \(rank) indices for shape \(shapeString(shape)), got \(index.count)")
        }
        var off = 0
        for (d, i) in index.enumerated() {
            guard i >= 0 && i < shape[d] else {
                throw TensorError.indexOutOfRange("index \(i + 1) out of range for dimension \(d + 1) of size \(shape[d])")
            }
            off = off * shape[d] + i
        }
        return off
    }

    /// A view with a new shape (one extent may be -1 and is inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var dims = newShape
        let unknown = dims.indices.filter { dims[$0] == -1 }
        guard unknown.count <= 1 else { throw TensorError.invalidShape("reshape: only one dimension can be -1, got \(newShape)") }
        if let u = unknown.first {
            dims[u] = 1
            let known = try Tensor.checkedCount(dims)
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch("reshape: cannot reshape \(shapeString(shape)) into \(newShape)")
            }
            dims[u] = count / known
        }
        guard try Tensor.checkedCount(dims) == count else {
            throw TensorError.shapeMismatch("reshape: cannot reshape \(shapeString(shape)) (\(count) elements) into \(shapeString(dims))")
        }
        return try Tensor(shape: dims, dtype: dtype, storage: storage)
    }
}

extension Float {
    /// Decodes IEEE half-precision bits.
    public init(halfBits h: UInt16) {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1f)
        var mant = UInt32(h & 0x3ff)
        if exp == 0 {
            if mant == 0 { self = Float(bitPattern: sign); return }
            var e = -1
            repeat { e += 1; mant <<= 1 } while mant & 0x400 == 0
            mant &= 0x3ff
            self = Float(bitPattern: sign | UInt32(127 - 15 - e) << 23 | mant << 13)
        } else if exp == 31 {
            self = Float(bitPattern: sign | 0x7f80_0000 | mant << 13)
        } else {
            self = Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | mant << 13)
        }
    }
}
