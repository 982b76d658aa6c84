import WhittleKernels
import WhittleTensor

/// One tensor to write: its bytes in a ggml type, with dimensions in ggml order (ne[0] first).
public struct GGUFTensorPayload: @unchecked Sendable {
    /// Tensor name (at most 63 bytes).
    public let name: String
    /// The ggml type the bytes are in.
    public let type: GGMLType
    /// Dimensions in ggml order: `dims[0]` is the row length.
    public let dims: [Int]
    let bytes: UnsafeRawBufferPointer
    // Keeps `bytes` alive: a tensor's storage or a mapped file.
    private let owner: AnyObject

    /// A Whittle tensor in its own type (f32/f16/bf16/i8/i32 or a ggml block type); its shape is written reversed.
    public init(name: String, tensor: Tensor) throws {
        let type: GGMLType
        switch tensor.dtype {
        case .f32: type = .f32
        case .f16: type = .f16
        case .bf16: type = .bf16
        case .i8: type = .i8
        case .i32: type = .i32
        default:
            guard let g = tensor.dtype.ggmlBlockType else {
                throw GGUFError.invalidWrite("tensor '\(name)' is \(tensor.dtype), which has no ggml type (convert it to f32, f16, bf16, i8 or i32)")
            }
            type = g
        }
        guard tensor.rank <= GGUFLimits.maxDimensions else {
            throw GGUFError.invalidWrite("tensor '\(name)' has \(tensor.rank) dimensions (ggml allows at most \(GGUFLimits.maxDimensions))")
        }
        self.name = name
        self.type = type
        // A scalar is one element: ggml writes it as a 1-dimensional tensor of 1.
        dims = tensor.rank == 0 ? [1] : tensor.shape.reversed()
        bytes = UnsafeRawBufferPointer(start: tensor.storage.bytes, count: tensor.byteCount)
        owner = tensor.storage
    }

    /// Tensor `name` of an open file, copied as stored (any type, including ones Whittle cannot load).
    public init(name: String, from file: GGUFFile) throws {
        guard let info = file.info(named: name) else { throw GGUFError.tensorNotFound(name) }
        self.name = name
        type = info.type
        dims = info.dims
        bytes = file.rawBytes(of: info)
        owner = file.owner
    }

    /// Bytes the type and dimensions need (nil on a bad row length or overflow).
    var expectedBytes: Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { return nil }
            n = p
        }
        guard (dims.first ?? 1) % type.blockSize == 0 else { return nil }
        let (b, o) = (n / type.blockSize).multipliedReportingOverflow(by: type.blockBytes)
        return o ? nil : b
    }
}

/// Writing GGUF v3 files the way llama.cpp's gguf.cpp does: header, key-value pairs in order,
/// tensor records, padding to the alignment, then each tensor's data padded to the alignment.
public enum GGUFWriter {
    /// Atomic write (temp file in the same directory, fsync, rename); throws `GGUFError.invalidWrite`
    /// for a request that would make a file llama.cpp refuses, before anything is written.
    public static func write(metadata: GGUFMetadata, tensors: [GGUFTensorPayload], to path: String) throws {
        let (header, alignment) = try headerBytes(metadata: metadata, tensors: tensors)
        try AtomicFile.write(to: path) { sink in
            try sink.write(header)
            let zeros = [UInt8](repeating: 0, count: alignment)
            for t in tensors {
                try sink.write(t.bytes)
                let pad = padded(t.bytes.count, alignment) - t.bytes.count
                if pad > 0 { try zeros.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<pad])) } }
            }
        }
    }

    /// Rewrites an open file (its metadata, possibly edited, and all its tensors as stored).
    public static func write(_ file: GGUFFile, metadata: GGUFMetadata? = nil, to path: String) throws {
        let tensors = try file.tensorInfos.map { try GGUFTensorPayload(name: $0.name, from: file) }
        try write(metadata: metadata ?? file.metadata, tensors: tensors, to: path)
    }

    /// The whole file image in memory (what `write` puts on disk).
    public static func serialize(metadata: GGUFMetadata, tensors: [GGUFTensorPayload]) throws -> [UInt8] {
        let (header, alignment) = try headerBytes(metadata: metadata, tensors: tensors)
        var e = GGUFEncoder(bytes: header)
        for t in tensors {
            e.bytes.append(contentsOf: t.bytes)
            e.pad(alignment)
        }
        return e.bytes
    }

    /// Everything before the data section, padded; and the alignment in force.
    static func headerBytes(metadata: GGUFMetadata, tensors: [GGUFTensorPayload]) throws -> ([UInt8], Int) {
        let alignment: Int
        do { alignment = try GGUFHeader.alignment(metadata) } catch let e as GGUFError {
            throw GGUFError.invalidWrite(e.description)
        }
        for (key, value) in metadata {
            guard !key.isEmpty else { throw GGUFError.invalidWrite("a metadata key is empty") }
            try checkValue(value, key: key, depth: 0)
        }
        var names = Set<String>()
        var e = GGUFEncoder()
        e.bytes.append(contentsOf: GGUFHeader.magic)
        e.int(UInt32(3))
        e.int(Int64(tensors.count))
        e.int(Int64(metadata.count))
        for (key, value) in metadata {
            e.string(key)
            e.value(value)
        }
        var offset = 0
        for t in tensors {
            guard t.name.utf8.count <= GGUFLimits.maxTensorNameBytes else {
                throw GGUFError.invalidWrite("tensor name '\(t.name)' is \(t.name.utf8.count) bytes (at most \(GGUFLimits.maxTensorNameBytes))")
            }
            guard names.insert(t.name).inserted else { throw GGUFError.invalidWrite("tensor name '\(t.name)' is used twice") }
            guard t.dims.count <= GGUFLimits.maxDimensions else {
                throw GGUFError.invalidWrite("tensor '\(t.name)' has \(t.dims.count) dimensions (at most \(GGUFLimits.maxDimensions))")
            }
            guard let need = t.expectedBytes, need == t.bytes.count else {
                throw GGUFError.invalidWrite("tensor '\(t.name)': \(t.bytes.count) bytes do not hold \(t.type.upperName) with dimensions \(t.dims)")
            }
            e.string(t.name)
            e.int(UInt32(t.dims.count))
            for d in t.dims { e.int(Int64(d)) }
            e.int(t.type.rawValue)
            e.int(UInt64(offset))
            offset += padded(t.bytes.count, alignment)
        }
        e.pad(alignment)
        return (e.bytes, alignment)
    }

    /// The reader's bounds, so that every file written reads back.
    private static func checkValue(_ v: GGUFValue, key: String, depth: Int) throws {
        switch v {
        case .string(let s):
            guard UInt64(s.utf8.count) <= GGUFLimits.maxStringLength else { throw GGUFError.invalidWrite("key '\(key)': string too long") }
        case .array(let a):
            try checkArray(a, key: key, depth: 1)
        default: break
        }
    }

    private static func checkArray(_ a: GGUFArray, key: String, depth: Int) throws {
        guard depth <= GGUFLimits.maxArrayDepth else {
            throw GGUFError.invalidWrite("key '\(key)': arrays nested \(depth) deep (at most \(GGUFLimits.maxArrayDepth))")
        }
        guard UInt64(a.count) <= GGUFLimits.maxArrayElements else { throw GGUFError.invalidWrite("key '\(key)': array too long") }
        switch a {
        case .string(let x):
            for s in x where UInt64(s.utf8.count) > GGUFLimits.maxStringLength {
                throw GGUFError.invalidWrite("key '\(key)': string too long")
            }
        case .array(let x):
            for inner in x { try checkArray(inner, key: key, depth: depth + 1) }
        default: break
        }
    }
}
