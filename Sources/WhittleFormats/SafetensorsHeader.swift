/// One tensor's record in a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    /// Tensor name.
    public let name: String
    /// The dtype as written in the file.
    public let fileDType: SafetensorsDType
    /// Extents, outermost first (empty for a scalar).
    public let shape: [Int]
    /// Byte range within the data section (after the header).
    public let byteRange: Range<Int>

    /// The Whittle dtype, or nil when Whittle cannot hold this file dtype.
    public var dtype: DType? { fileDType.whittle }
    /// Bytes the tensor occupies in the file.
    public var byteCount: Int { byteRange.count }
}

import WhittleTensor

/// A validated safetensors header: what `SafetensorsFile.open` checks before touching data.
public struct SafetensorsHeader: Sendable {
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Tensors sorted by data offset (file order).
    public let entries: [SafetensorsEntry]
    /// Offset of the data section from the start of the file.
    public let dataOffset: Int

    /// The reference's header size limit.
    public static let maxHeaderBytes: UInt64 = 100_000_000

    /// Validates a whole file image (header and lengths) exactly as the reference reader does.
    public static func parse(_ buffer: UnsafeRawBufferPointer) throws -> SafetensorsHeader {
        guard buffer.count >= 8 else { throw SafetensorsError.fileTooSmall(bytes: buffer.count) }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(buffer[k]) << (8 * UInt64(k)) }
        guard n <= maxHeaderBytes else { throw SafetensorsError.headerTooLarge(bytes: n) }
        let headerLength = Int(n)
        guard 8 + headerLength <= buffer.count else {
            throw SafetensorsError.headerBeyondFile(headerBytes: n, fileBytes: buffer.count)
        }
        let raw = Array(buffer[8..<(8 + headerLength)])
        guard String(validating: raw, as: UTF8.self) != nil else { throw SafetensorsError.headerNotUTF8 }
        guard raw.first == UInt8(ascii: "{") else { throw SafetensorsError.headerNotObject }
        let json: JSONValue
        do { json = try JSONParser.parse(raw) } catch let e as JSONError {
            throw SafetensorsError.invalidJSON(e.description)
        }
        guard case .object(let members) = json else { throw SafetensorsError.invalidJSON("the header is not an object") }

        var metadata: [String: String] = [:]
        var seenMetadata = false
        var seen = Set<String>()
        var infos: [(name: String, dtype: SafetensorsDType, shape: [Int], start: UInt64, end: UInt64)] = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard !seenMetadata else { throw SafetensorsError.invalidMetadata("appears more than once") }
                seenMetadata = true
                metadata = try parseMetadata(value)
                continue
            }
            guard seen.insert(name).inserted else { throw SafetensorsError.duplicateTensor(name) }
            let info = try parseInfo(name: name, value)
            infos.append((name, info.dtype, info.shape, info.start, info.end))
        }

        // The reference orders tensors by offsets before checking contiguity.
        infos.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var expected: UInt64 = 0
        for t in infos {
            guard t.start == expected, t.end >= t.start else {
                throw SafetensorsError.invalidOffsets(tensor: t.name, start: t.start, end: t.end, expectedStart: expected)
            }
            expected = t.end
            var elements = 1
            for d in t.shape {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else { throw SafetensorsError.sizeOverflow(tensor: t.name) }
                elements = p
            }
            let (bits, o) = elements.multipliedReportingOverflow(by: t.dtype.bitSize)
            guard !o else { throw SafetensorsError.sizeOverflow(tensor: t.name) }
            guard bits % 8 == 0 else { throw SafetensorsError.misalignedTensor(tensor: t.name) }
            let bytes = bits / 8
            guard UInt64(bytes) == t.end - t.start else {
                throw SafetensorsError.byteLengthMismatch(tensor: t.name, expected: bytes, actual: t.end - t.start)
            }
        }
        let dataBytes = buffer.count - 8 - headerLength
        guard expected == UInt64(dataBytes) else {
            let covered = expected > UInt64(Int.max) ? Int.max : Int(expected)
            throw SafetensorsError.fileLengthMismatch(expectedBytes: covered, actualBytes: dataBytes)
        }
        // Every offset is now within the data section, so it fits in Int.
        let entries = infos.map {
            SafetensorsEntry(name: $0.name, fileDType: $0.dtype, shape: $0.shape, byteRange: Int($0.start)..<Int($0.end))
        }
        return SafetensorsHeader(metadata: metadata, entries: entries, dataOffset: 8 + headerLength)
    }

    private static func parseMetadata(_ value: JSONValue) throws -> [String: String] {
        if case .null = value { return [:] }
        guard case .object(let pairs) = value else { throw SafetensorsError.invalidMetadata("is not an object") }
        var out: [String: String] = [:]
        for (k, v) in pairs {
            guard let s = v.stringValue else { throw SafetensorsError.invalidMetadata("value of '\(k)' is not a string") }
            guard out.updateValue(s, forKey: k) == nil else { throw SafetensorsError.invalidMetadata("has duplicate key '\(k)'") }
        }
        return out
    }

    private static func parseInfo(name: String, _ value: JSONValue) throws
        -> (dtype: SafetensorsDType, shape: [Int], start: UInt64, end: UInt64) {
        guard case .object(let fields) = value else {
            throw SafetensorsError.invalidTensorInfo(tensor: name, reason: "entry is not an object")
        }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (k, v) in fields {
            switch k {
            case "dtype", "shape", "data_offsets":
                let already = k == "dtype" ? dtypeValue : k == "shape" ? shapeValue : offsetsValue
                guard already == nil else { throw SafetensorsError.invalidTensorInfo(tensor: name, reason: "duplicate field '\(k)'") }
                if k == "dtype" { dtypeValue = v } else if k == "shape" { shapeValue = v } else { offsetsValue = v }
            default:
                continue  // the reference ignores unknown fields
            }
        }
        guard let dtypeValue else { throw SafetensorsError.invalidTensorInfo(tensor: name, reason: "missing field 'dtype'") }
        guard let shapeValue else { throw SafetensorsError.invalidTensorInfo(tensor: name, reason: "missing field 'shape'") }
        guard let offsetsValue else { throw SafetensorsError.invalidTensorInfo(tensor: name, reason: "missing field 'data_offsets'") }
        guard let dtypeName = dtypeValue.stringValue else {
            throw SafetensorsError.invalidTensorInfo(tensor: name, reason: "'dtype' is not a string")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(tensor: name, dtype: dtypeName)
        }
        guard case .array(let dims) = shapeValue else {
            throw SafetensorsError.invalidTensorInfo(tensor: name, reason: "'shape' is not an array")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for d in dims {
            guard let u = d.unsignedInteger else {
                throw SafetensorsError.invalidTensorInfo(tensor: name, reason: "'shape' holds something other than a non-negative integer")
            }
            guard u <= UInt64(Int.max) else { throw SafetensorsError.sizeOverflow(tensor: name) }
            shape.append(Int(u))
        }
        guard case .array(let offs) = offsetsValue, offs.count == 2,
              let start = offs[0].unsignedInteger, let end = offs[1].unsignedInteger else {
            throw SafetensorsError.invalidTensorInfo(tensor: name, reason: "'data_offsets' is not a pair of non-negative integers")
        }
        return (dtype, shape, start, end)
    }
}
