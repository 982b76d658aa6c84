/// Every way a GGUF file or write request can be invalid: one case per rule (llama.cpp's
/// gguf.cpp enforces each of them too, or a stricter form), each naming the key or tensor.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
    /// The file ended while reading `what` at byte `offset`.
    case truncated(what: String, offset: Int)
    /// The first four bytes are not "GGUF".
    case badMagic([UInt8])
    /// A version other than 2 or 3 (0, the unsupported v1, or a newer one).
    case unsupportedVersion(UInt32)
    /// A version whose low 16 bits are zero: a big-endian file read on a little-endian host.
    case bigEndian(version: UInt32)
    /// The tensor count is negative or more than the rest of the file can describe.
    case tensorCountOutOfRange(Int64, remainingBytes: Int)
    /// The key-value count is negative or more than the rest of the file can describe.
    case metadataCountOutOfRange(Int64, remainingBytes: Int)
    /// Key number `index` is the empty string.
    case emptyKey(index: Int)
    /// The same key appears twice.
    case duplicateKey(String)
    /// A value type id outside gguf.h's list.
    case unknownValueType(key: String, type: UInt32)
    /// A string length over gguf.cpp's 1 GiB limit.
    case stringTooLong(context: String, length: UInt64)
    /// A string length larger than what is left of the file.
    case stringBeyondFile(context: String, length: UInt64, remainingBytes: Int)
    /// An array count over gguf.cpp's limit of 2^30 elements.
    case arrayTooLong(key: String, count: UInt64)
    /// An array count whose smallest encoding is larger than what is left of the file.
    case arrayBeyondFile(key: String, count: UInt64, remainingBytes: Int)
    /// Arrays of arrays nested deeper than `GGUFLimits.maxArrayDepth`.
    case arrayNestingTooDeep(key: String, depth: Int)
    /// Bytes that are not valid UTF-8 in a key, a string value or a tensor name.
    case invalidUTF8(context: String)
    /// A bool stored as a byte other than 0 or 1.
    case invalidBool(key: String, byte: UInt8)
    /// `general.alignment` is not a u32.
    case alignmentNotUInt32(type: GGUFValueType)
    /// `general.alignment` is zero or not a power of two.
    case badAlignment(UInt64)
    /// A tensor name of 64 bytes or more (ggml's GGML_MAX_NAME counts the NUL).
    case tensorNameTooLong(name: String, bytes: Int)
    /// The same tensor name appears twice.
    case duplicateTensorName(String)
    /// More than ggml's 4 dimensions.
    case tooManyDimensions(tensor: String, count: UInt32)
    /// A negative dimension.
    case negativeDimension(tensor: String, index: Int, value: Int64)
    /// The element count overflows a 64-bit integer.
    case elementCountOverflow(tensor: String, dims: [Int64])
    /// A tensor type id ggml does not define (or a removed one).
    case unknownTensorType(tensor: String, type: UInt32)
    /// A row length (ne[0]) that is not a multiple of the type's block size.
    case rowNotMultipleOfBlock(tensor: String, type: String, rowLength: Int, blockSize: Int)
    /// The byte size overflows.
    case byteSizeOverflow(tensor: String)
    /// A data offset that is not a multiple of the alignment.
    case misalignedOffset(tensor: String, offset: UInt64, alignment: Int)
    /// A data offset before the end of the previous tensor (its padded end).
    case overlappingOffset(tensor: String, offset: UInt64, expected: Int)
    /// A data offset after the padded end of the previous tensor: bytes nobody owns.
    case gapBeforeTensor(tensor: String, offset: UInt64, expected: Int)
    /// Tensor data that runs past the end of the file.
    case dataOutsideFile(tensor: String, end: Int, fileBytes: Int)
    /// The padding before the data section runs past the end of the file.
    case dataSectionOutsideFile(start: Int, fileBytes: Int)
    /// No tensor with that name.
    case tensorNotFound(String)
    /// A tensor in a ggml type Whittle cannot hold (the IQ1/IQ2/IQ3 lattice types, Q8_1, MXFP4, I16/I64/F64).
    case unsupportedTensorType(tensor: String, type: String)
    /// A write request that cannot produce a valid file.
    case invalidWrite(String)

    public var description: String {
        switch self {
        case .truncated(let w, let o):
            return "gguf: file ends at byte \(o) while reading \(w)"
        case .badMagic(let b):
            let shown = b.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "?" }.joined()
            return "gguf: bad magic '\(shown)', expected 'GGUF'"
        case .unsupportedVersion(let v):
            return v == 1 ? "gguf: version 1 is no longer supported (llama.cpp refuses it too)"
                          : "gguf: unsupported version \(v) (Whittle reads versions 2 and 3)"
        case .bigEndian(let v):
            return "gguf: version field reads \(v): a big-endian file, which this little-endian host cannot use"
        case .tensorCountOutOfRange(let n, let r):
            return "gguf: tensor count \(n) is impossible with \(r) bytes left in the file"
        case .metadataCountOutOfRange(let n, let r):
            return "gguf: key-value count \(n) is impossible with \(r) bytes left in the file"
        case .emptyKey(let i):
            return "gguf: key \(i) is empty"
        case .duplicateKey(let k):
            return "gguf: key '\(k)' appears more than once"
        case .unknownValueType(let k, let t):
            return "gguf: key '\(k)' has unknown value type \(t)"
        case .stringTooLong(let c, let n):
            return "gguf: \(c): string length \(n) exceeds the limit of \(GGUFLimits.maxStringLength)"
        case .stringBeyondFile(let c, let n, let r):
            return "gguf: \(c): string length \(n) runs past the end of the file (\(r) bytes left)"
        case .arrayTooLong(let k, let n):
            return "gguf: key '\(k)': array of \(n) elements exceeds the limit of \(GGUFLimits.maxArrayElements)"
        case .arrayBeyondFile(let k, let n, let r):
            return "gguf: key '\(k)': array of \(n) elements cannot fit in the \(r) bytes left in the file"
        case .arrayNestingTooDeep(let k, let d):
            return "gguf: key '\(k)': arrays nested \(d) deep (at most \(GGUFLimits.maxArrayDepth))"
        case .invalidUTF8(let c):
            return "gguf: \(c) is not valid UTF-8"
        case .invalidBool(let k, let b):
            return "gguf: key '\(k)': bool stored as byte \(b), expected 0 or 1"
        case .alignmentNotUInt32(let t):
            return "gguf: key 'general.alignment' must be of type u32 but is \(t)"
        case .badAlignment(let a):
            return "gguf: general.alignment \(a) is not a power of two"
        case .tensorNameTooLong(let n, let b):
            return "gguf: tensor name '\(n)' is \(b) bytes (at most \(GGUFLimits.maxTensorNameBytes))"
        case .duplicateTensorName(let n):
            return "gguf: tensor '\(n)' appears more than once"
        case .tooManyDimensions(let n, let c):
            return "gguf: tensor '\(n)' has \(c) dimensions (at most \(GGUFLimits.maxDimensions))"
        case .negativeDimension(let n, let i, let v):
            return "gguf: tensor '\(n)' dimension \(i) is \(v), which is negative"
        case .elementCountOverflow(let n, let d):
            return "gguf: tensor '\(n)' with dimensions \(d) has more elements than a 64-bit count holds"
        case .unknownTensorType(let n, let t):
            return "gguf: tensor '\(n)' has unknown ggml type \(t)"
        case .rowNotMultipleOfBlock(let n, let t, let r, let b):
            return "gguf: tensor '\(n)' of type \(t) has rows of \(r) elements, not a multiple of the block size \(b)"
        case .byteSizeOverflow(let n):
            return "gguf: tensor '\(n)' is too large: its byte size overflows"
        case .misalignedOffset(let n, let o, let a):
            return "gguf: tensor '\(n)' has offset \(o), not a multiple of the alignment \(a)"
        case .overlappingOffset(let n, let o, let x):
            return "gguf: tensor '\(n)' has offset \(o) but the previous tensor's data ends at \(x) (an overlap or out of order)"
        case .gapBeforeTensor(let n, let o, let x):
            return "gguf: tensor '\(n)' has offset \(o), expected \(x) (a gap after the previous tensor)"
        case .dataOutsideFile(let n, let e, let f):
            return "gguf: tensor '\(n)' data ends at byte \(e), past the end of the \(f)-byte file"
        case .dataSectionOutsideFile(let s, let f):
            return "gguf: the data section would start at byte \(s), past the end of the \(f)-byte file"
        case .tensorNotFound(let n):
            return "gguf: no tensor named '\(n)'"
        case .unsupportedTensorType(let n, let t):
            return "gguf: tensor '\(n)' has type \(t), which Whittle cannot load"
        case .invalidWrite(let m):
            return "gguf: cannot write: \(m)"
        }
    }
}

/// The bounds the reader enforces (gguf.cpp's, or stricter where it has none).
public enum GGUFLimits {
    /// gguf.cpp's GGUF_MAX_STRING_LENGTH.
    public static let maxStringLength: UInt64 = 1 << 30
    /// gguf.cpp's GGUF_MAX_ARRAY_ELEMENTS.
    public static let maxArrayElements: UInt64 = 1 << 30
    /// Arrays of arrays: the GGUF spec allows them, gguf.cpp refuses any; Whittle bounds the depth.
    public static let maxArrayDepth = 4
    /// ggml's GGML_MAX_NAME (64) less the terminating NUL.
    public static let maxTensorNameBytes = 63
    /// ggml's GGML_MAX_DIMS.
    public static let maxDimensions = 4
    /// GGUF_DEFAULT_ALIGNMENT.
    public static let defaultAlignment = 32
}
