import WhittleKernels
import WhittleTensor

/// A memory-mapped, fully validated GGUF file. Tensors it hands out borrow the mapping
/// (read-only), which stays alive as long as any of them.
public struct GGUFFile: Sendable {
    /// The path it was opened from.
    public let path: String
    /// The format version (2 or 3).
    public let version: UInt32
    /// Key-value metadata in file order.
    public let metadata: GGUFMetadata
    /// Tensors in file order.
    public let tensorInfos: [GGUFTensorInfo]
    /// `general.alignment`, or 32.
    public let alignment: Int
    /// Offset of the data section from the start of the file.
    public let dataOffset: Int
    /// File length in bytes.
    public var fileBytes: Int { mapping.count }
    private let mapping: MappedFile
    private let index: [String: Int]

    /// Maps `path` and validates it completely; throws `GGUFError` or `FileError`.
    public static func open(_ path: String) throws -> GGUFFile {
        let mapping = try MappedFile(path: path)
        let header = try GGUFHeader.parse(mapping.buffer)
        return GGUFFile(path: path, mapping: mapping, header: header)
    }

    private init(path: String, mapping: MappedFile, header: GGUFHeader) {
        self.path = path
        self.mapping = mapping
        version = header.version
        metadata = header.metadata
        tensorInfos = header.tensorInfos
        alignment = header.alignment
        dataOffset = header.dataOffset
        var index: [String: Int] = [:]
        for (i, t) in header.tensorInfos.enumerated() { index[t.name] = i }
        self.index = index
    }

    /// The record of tensor `name`, if present.
    public func info(named name: String) -> GGUFTensorInfo? { index[name].map { tensorInfos[$0] } }

    /// The tensor's bytes as stored (valid while this file value or a tensor from it is alive).
    public func rawBytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        guard let base = mapping.bytes else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + dataOffset + info.offset, count: info.byteCount)
    }

    /// The mapping that owns `rawBytes`, for storage that must keep it alive.
    public var owner: AnyObject { mapping }

    /// Tensor `name` in its stored type with Whittle's shape (ggml's dimensions reversed), borrowing the
    /// mapping; throws `tensorNotFound`, or `unsupportedTensorType` naming a type Whittle cannot hold.
    public func tensor(named name: String) throws -> Tensor {
        guard let info = info(named: name) else { throw GGUFError.tensorNotFound(name) }
        guard let dtype = info.dtype else { throw GGUFError.unsupportedTensorType(tensor: name, type: info.type.upperName) }
        let raw = rawBytes(of: info)
        let storage: Storage
        // Block types are read with unaligned loads; plain types need their natural alignment,
        // which a file with general.alignment of 1 or 2 may not give.
        if let start = raw.baseAddress, dtype.isBlock || Int(bitPattern: start) % dtype.size == 0 {
            storage = Storage(borrowing: start, byteCount: raw.count, owner: mapping, readOnly: true)
        } else {
            storage = Storage(zeroedBytes: raw.count)
            if let start = raw.baseAddress { storage.bytes.copyMemory(from: start, byteCount: raw.count) }
        }
        return try Tensor(shape: info.shape, dtype: dtype, storage: storage)
    }

    /// Every tensor Whittle can load, in file order (unsupported types throw).
    public func tensors() throws -> [(name: String, tensor: Tensor)] {
        try tensorInfos.map { ($0.name, try tensor(named: $0.name)) }
    }

    /// A string value of the metadata.
    public func string(_ key: String) -> String? { metadata.string(key) }
    /// An integer value of the metadata (any integer type).
    public func int(_ key: String) -> Int? { metadata.int(key) }
    /// A float value of the metadata (f32, f64 or an integer).
    public func float(_ key: String) -> Double? { metadata.float(key) }
    /// A bool value of the metadata.
    public func bool(_ key: String) -> Bool? { metadata.bool(key) }
    /// A string array of the metadata.
    public func stringArray(_ key: String) -> [String]? { metadata.stringArray(key) }
    /// A float array of the metadata.
    public func floatArray(_ key: String) -> [Float]? { metadata.floatArray(key) }
    /// An integer array of the metadata.
    public func intArray(_ key: String) -> [Int]? { metadata.intArray(key) }
}
