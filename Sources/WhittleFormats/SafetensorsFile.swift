import WhittleTensor

/// A memory-mapped, fully validated safetensors file. Tensors it hands out
/// borrow the mapping (read-only), which stays alive as long as any of them.
public struct SafetensorsFile: Sendable {
    /// The path it was opened from.
    public let path: String
    /// The `__metadata__` object (string -> string).
    public let metadata: [String: String]
    /// Tensors in file order: name, dtype, shape, byte range.
    public let entries: [SafetensorsEntry]
    private let mapping: MappedFile
    private let dataOffset: Int
    private let index: [String: Int]

    /// Maps `path` and validates it completely; throws `SafetensorsError` or `FileError`.
    public static func open(_ path: String) throws -> SafetensorsFile {
        let mapping = try MappedFile(path: path)
        let header = try SafetensorsHeader.parse(mapping.buffer)
        return SafetensorsFile(path: path, mapping: mapping, header: header)
    }

    private init(path: String, mapping: MappedFile, header: SafetensorsHeader) {
        self.path = path
        self.mapping = mapping
        metadata = header.metadata
        entries = header.entries
        dataOffset = header.dataOffset
        var index: [String: Int] = [:]
        for (i, e) in header.entries.enumerated() { index[e.name] = i }
        self.index = index
    }

    /// The entry for `name`, if present.
    public func entry(named name: String) -> SafetensorsEntry? { index[name].map { entries[$0] } }

    /// A tensor borrowing the mapping (copied only when the file misaligns it).
    public func tensor(named name: String) throws -> Tensor {
        guard let i = index[name] else { throw SafetensorsError.tensorNotFound(name) }
        let e = entries[i]
        guard let dtype = e.dtype else { throw SafetensorsError.unsupportedDType(tensor: name, dtype: e.fileDType.rawValue) }
        // A non-empty data section implies a mapping; an empty tensor may sit at the very end.
        guard let base = mapping.bytes else { throw SafetensorsError.fileTooSmall(bytes: 0) }
        let start = base + dataOffset + e.byteRange.lowerBound
        let storage: Storage
        if Int(bitPattern: start) % dtype.size == 0 {
            storage = Storage(borrowing: start, byteCount: e.byteCount, owner: mapping, readOnly: true)
        } else {
            // Files from other writers may misalign data; typed loads need alignment.
            storage = try Storage(zeroed: e.byteCount, what: "an aligned copy of tensor '\(name)'")
            storage.bytes.copyMemory(from: start, byteCount: e.byteCount)
        }
        return try Tensor(shape: e.shape, dtype: dtype, storage: storage)
    }

    /// Every tensor in file order.
    public func tensors() throws -> [(name: String, tensor: Tensor)] {
        try entries.map { ($0.name, try tensor(named: $0.name)) }
    }
}
