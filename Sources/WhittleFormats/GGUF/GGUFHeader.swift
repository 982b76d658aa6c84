import WhittleKernels

/// A fully validated GGUF header: everything `GGUFFile.open` checks before any tensor is used.
public struct GGUFHeader: Sendable {
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

    static let magic: [UInt8] = Array("GGUF".utf8)

    /// Validates a whole file image, in the order and at least as strictly as llama.cpp's `gguf_init_from_file`,
    /// and additionally that every tensor's data lies inside the image.
    public static func parse(_ buffer: UnsafeRawBufferPointer) throws -> GGUFHeader {
        var c = GGUFCursor(buffer)
        let magic = Array(try c.bytes(4, "the magic"))
        guard magic == Self.magic else { throw GGUFError.badMagic(magic) }
        let version = try c.read(UInt32.self, "the version")
        if version != 0 && version & 0xFFFF == 0 { throw GGUFError.bigEndian(version: version) }
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }
        let nTensors = try c.read(Int64.self, "the tensor count")
        // Smallest tensor record: name length u64, n_dims u32, type u32, offset u64.
        guard nTensors >= 0, nTensors <= Int64(c.remaining / 24) else {
            throw GGUFError.tensorCountOutOfRange(nTensors, remainingBytes: c.remaining)
        }
        let nKV = try c.read(Int64.self, "the key-value count")
        // Smallest pair: key length u64, a one-byte key, value type u32, a one-byte value.
        guard nKV >= 0, nKV <= Int64(c.remaining / 14) else {
            throw GGUFError.metadataCountOutOfRange(nKV, remainingBytes: c.remaining)
        }

        var metadata = GGUFMetadata()
        for i in 0..<Int(nKV) {
            let key = try c.string("key \(i)")
            guard !key.isEmpty else { throw GGUFError.emptyKey(index: i) }
            guard !metadata.contains(key) else { throw GGUFError.duplicateKey(key) }
            metadata[key] = try readValue(&c, key: key)
        }
        let alignment = try Self.alignment(metadata)

        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(Int(nTensors))
        var names = Set<String>()
        var rawOffsets: [UInt64] = []
        for i in 0..<Int(nTensors) {
            let name = try c.string("the name of tensor \(i)")
            guard name.utf8.count <= GGUFLimits.maxTensorNameBytes else {
                throw GGUFError.tensorNameTooLong(name: name, bytes: name.utf8.count)
            }
            guard names.insert(name).inserted else { throw GGUFError.duplicateTensorName(name) }
            let nDims = try c.read(UInt32.self, "the dimension count of tensor '\(name)'")
            guard nDims <= UInt32(GGUFLimits.maxDimensions) else { throw GGUFError.tooManyDimensions(tensor: name, count: nDims) }
            var ne: [Int64] = []
            for j in 0..<Int(nDims) {
                let d = try c.read(Int64.self, "dimension \(j) of tensor '\(name)'")
                guard d >= 0 else { throw GGUFError.negativeDimension(tensor: name, index: j, value: d) }
                ne.append(d)
            }
            var elements: Int64 = 1
            for d in ne {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else { throw GGUFError.elementCountOverflow(tensor: name, dims: ne) }
                elements = p
            }
            let typeID = try c.read(UInt32.self, "the type of tensor '\(name)'")
            // Removed ids (4, 5, 31-33, 36-38) are absent from GGMLType, as they have no block size in ggml.
            guard let type = GGMLType(rawValue: typeID) else { throw GGUFError.unknownTensorType(tensor: name, type: typeID) }
            let rowLength = Int(ne.first ?? 1)
            guard rowLength % type.blockSize == 0 else {
                throw GGUFError.rowNotMultipleOfBlock(tensor: name, type: type.upperName, rowLength: rowLength, blockSize: type.blockSize)
            }
            let blocks = Int(elements) / type.blockSize
            let (bytes, o) = blocks.multipliedReportingOverflow(by: type.blockBytes)
            guard !o, bytes <= Int.max - alignment else { throw GGUFError.byteSizeOverflow(tensor: name) }
            let offset = try c.read(UInt64.self, "the data offset of tensor '\(name)'")
            rawOffsets.append(offset)
            infos.append(GGUFTensorInfo(name: name, type: type, dims: ne.map { Int($0) }, offset: 0, byteCount: bytes))
        }

        // The data section starts at the next multiple of the alignment (gguf.cpp seeks only when there are tensors).
        var dataOffset = c.offset
        if nTensors > 0 {
            dataOffset = padded(c.offset, alignment)
            guard dataOffset <= buffer.count else { throw GGUFError.dataSectionOutsideFile(start: dataOffset, fileBytes: buffer.count) }
        }
        // Offsets must be exactly the running padded sizes, as gguf.cpp requires; the data must be in the file.
        var expected = 0
        for i in infos.indices {
            let info = infos[i], offset = rawOffsets[i]
            guard offset % UInt64(alignment) == 0 else {
                throw GGUFError.misalignedOffset(tensor: info.name, offset: offset, alignment: alignment)
            }
            guard offset >= UInt64(expected) else { throw GGUFError.overlappingOffset(tensor: info.name, offset: offset, expected: expected) }
            guard offset == UInt64(expected) else { throw GGUFError.gapBeforeTensor(tensor: info.name, offset: offset, expected: expected) }
            let (end, o) = (dataOffset + expected).addingReportingOverflow(info.byteCount)
            guard !o, end <= buffer.count else {
                throw GGUFError.dataOutsideFile(tensor: info.name, end: o ? Int.max : end, fileBytes: buffer.count)
            }
            infos[i] = GGUFTensorInfo(name: info.name, type: info.type, dims: info.dims, offset: expected, byteCount: info.byteCount)
            let (next, o2) = expected.addingReportingOverflow(padded(info.byteCount, alignment))
            guard !o2 else { throw GGUFError.byteSizeOverflow(tensor: info.name) }
            expected = next
        }
        return GGUFHeader(version: version, metadata: metadata, tensorInfos: infos, alignment: alignment, dataOffset: dataOffset)
    }

    /// `general.alignment` (a u32 power of two) or the default of 32.
    static func alignment(_ metadata: GGUFMetadata) throws -> Int {
        guard let v = metadata["general.alignment"] else { return GGUFLimits.defaultAlignment }
        guard case .uint32(let a) = v else { throw GGUFError.alignmentNotUInt32(type: v.type) }
        guard a != 0, a & (a - 1) == 0 else { throw GGUFError.badAlignment(UInt64(a)) }
        return Int(a)
    }

    /// One value of any type (the type id comes first), arrays included.
    static func readValue(_ c: inout GGUFCursor, key: String) throws -> GGUFValue {
        let typeID = try c.read(UInt32.self, "the type of key '\(key)'")
        guard let type = GGUFValueType(rawValue: typeID) else { throw GGUFError.unknownValueType(key: key, type: typeID) }
        switch type {
        case .uint8: return .uint8(try c.read(UInt8.self, "the value of key '\(key)'"))
        case .int8: return .int8(try c.read(Int8.self, "the value of key '\(key)'"))
        case .uint16: return .uint16(try c.read(UInt16.self, "the value of key '\(key)'"))
        case .int16: return .int16(try c.read(Int16.self, "the value of key '\(key)'"))
        case .uint32: return .uint32(try c.read(UInt32.self, "the value of key '\(key)'"))
        case .int32: return .int32(try c.read(Int32.self, "the value of key '\(key)'"))
        case .uint64: return .uint64(try c.read(UInt64.self, "the value of key '\(key)'"))
        case .int64: return .int64(try c.read(Int64.self, "the value of key '\(key)'"))
        case .float32: return .float32(Float(bitPattern: try c.read(UInt32.self, "the value of key '\(key)'")))
        case .float64: return .float64(Double(bitPattern: try c.read(UInt64.self, "the value of key '\(key)'")))
        case .bool: return .bool(try readBool(try c.read(UInt8.self, "the value of key '\(key)'"), key: key))
        case .string: return .string(try c.string("the value of key '\(key)'"))
        case .array: return .array(try readArray(&c, key: key, depth: 1))
        }
    }

    static func readBool(_ b: UInt8, key: String) throws -> Bool {
        guard b <= 1 else { throw GGUFError.invalidBool(key: key, byte: b) }
        return b == 1
    }

    /// An array body: element type, count, elements; the count is bounded before anything is allocated.
    static func readArray(_ c: inout GGUFCursor, key: String, depth: Int) throws -> GGUFArray {
        guard depth <= GGUFLimits.maxArrayDepth else { throw GGUFError.arrayNestingTooDeep(key: key, depth: depth) }
        let typeID = try c.read(UInt32.self, "the element type of key '\(key)'")
        guard let type = GGUFValueType(rawValue: typeID) else { throw GGUFError.unknownValueType(key: key, type: typeID) }
        let count = try c.read(UInt64.self, "the element count of key '\(key)'")
        guard count <= GGUFLimits.maxArrayElements else { throw GGUFError.arrayTooLong(key: key, count: count) }
        guard count <= UInt64(c.remaining / type.minimumEncodedSize) else {
            throw GGUFError.arrayBeyondFile(key: key, count: count, remainingBytes: c.remaining)
        }
        let n = Int(count)
        let what = "the elements of key '\(key)'"
        switch type {
        case .uint8: return .uint8(try c.array(UInt8.self, n, what))
        case .int8: return .int8(try c.array(Int8.self, n, what))
        case .uint16: return .uint16(try c.array(UInt16.self, n, what))
        case .int16: return .int16(try c.array(Int16.self, n, what))
        case .uint32: return .uint32(try c.array(UInt32.self, n, what))
        case .int32: return .int32(try c.array(Int32.self, n, what))
        case .uint64: return .uint64(try c.array(UInt64.self, n, what))
        case .int64: return .int64(try c.array(Int64.self, n, what))
        case .float32: return .float32(try c.array(UInt32.self, n, what).map(Float.init(bitPattern:)))
        case .float64: return .float64(try c.array(UInt64.self, n, what).map(Double.init(bitPattern:)))
        case .bool: return .bool(try c.array(UInt8.self, n, what).map { try readBool($0, key: key) })
        case .string:
            var out: [String] = []
            out.reserveCapacity(n)
            for i in 0..<n { out.append(try c.string("element \(i) of key '\(key)'")) }
            return .string(out)
        case .array:
            var out: [GGUFArray] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try readArray(&c, key: key, depth: depth + 1)) }
            return .array(out)
        }
    }
}

/// `n` rounded up to a multiple of the power of two `alignment` (ggml's GGML_PAD); callers bound `n`.
func padded(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) & ~(alignment - 1) }
