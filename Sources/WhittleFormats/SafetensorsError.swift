/// Every way a safetensors file or write request can be invalid; one case per
/// rule the reference implementation enforces, each naming what was wrong.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    /// Fewer than the 8 bytes of the header length.
    case fileTooSmall(bytes: Int)
    /// Declared header length over the 100 MB limit.
    case headerTooLarge(bytes: UInt64)
    /// Declared header length runs past the end of the file.
    case headerBeyondFile(headerBytes: UInt64, fileBytes: Int)
    /// Header bytes are not valid UTF-8.
    case headerNotUTF8
    /// Header does not start with '{'.
    case headerNotObject
    /// Header is not valid JSON (or not a JSON object).
    case invalidJSON(String)
    /// The same tensor name appears twice.
    case duplicateTensor(String)
    /// A tensor entry is not an object with dtype, shape and data_offsets of the right types.
    case invalidTensorInfo(tensor: String, reason: String)
    /// A dtype string the format does not define.
    case unknownDType(tensor: String, dtype: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(String)
    /// Offsets not contiguous from 0 (a gap, an overlap, or end before start).
    case invalidOffsets(tensor: String, start: UInt64, end: UInt64, expectedStart: UInt64)
    /// product(shape) x dtype size overflows.
    case sizeOverflow(tensor: String)
    /// A sub-byte dtype whose bits do not fill whole bytes.
    case misalignedTensor(tensor: String)
    /// Offsets span a different byte count than shape and dtype require.
    case byteLengthMismatch(tensor: String, expected: Int, actual: UInt64)
    /// The data section is longer or shorter than the tensors cover.
    case fileLengthMismatch(expectedBytes: Int, actualBytes: Int)
    /// No tensor with that name in the file.
    case tensorNotFound(String)
    /// The file's dtype has no Whittle equivalent.
    case unsupportedDType(tensor: String, dtype: String)
    /// A write request that cannot produce a valid file.
    case invalidWrite(String)

    public var description: String {
        switch self {
        case .fileTooSmall(let n):
            return "safetensors: file is \(n) bytes, too small for the 8-byte header length"
        case .headerTooLarge(let n):
            return "safetensors: header length \(n) exceeds the 100000000-byte limit"
        case .headerBeyondFile(let h, let f):
            return "safetensors: header length \(h) runs past the end of the \(f)-byte file"
        case .headerNotUTF8:
            return "safetensors: header is not valid UTF-8"
        case .headerNotObject:
            return "safetensors: header does not start with '{'"
        case .invalidJSON(let m):
            return "safetensors: header is not a valid JSON object: \(m)"
        case .duplicateTensor(let n):
            return "safetensors: tensor '\(n)' appears more than once"
        case .invalidTensorInfo(let n, let r):
            return "safetensors: tensor '\(n)': \(r)"
        case .unknownDType(let n, let d):
            return "safetensors: tensor '\(n)' has unknown dtype '\(d)'"
        case .invalidMetadata(let m):
            return "safetensors: __metadata__ \(m)"
        case .invalidOffsets(let n, let s, let e, let x):
            if e < s { return "safetensors: tensor '\(n)' has data_offsets [\(s), \(e)] with end before start" }
            let kind = s > x ? "a gap" : "an overlap"
            return "safetensors: tensor '\(n)' has data_offsets [\(s), \(e)] but the previous tensor ends at \(x) (\(kind))"
        case .sizeOverflow(let n):
            return "safetensors: tensor '\(n)': shape x dtype size overflows"
        case .misalignedTensor(let n):
            return "safetensors: tensor '\(n)': sub-byte elements do not fill a whole number of bytes"
        case .byteLengthMismatch(let n, let x, let a):
            return "safetensors: tensor '\(n)' needs \(x) bytes for its shape and dtype but its data_offsets span \(a)"
        case .fileLengthMismatch(let x, let a):
            return "safetensors: tensors cover \(x) data bytes but the file has \(a)"
        case .tensorNotFound(let n):
            return "safetensors: no tensor named '\(n)'"
        case .unsupportedDType(let n, let d):
            return "safetensors: tensor '\(n)' has dtype \(d), which Whittle does not support"
        case .invalidWrite(let m):
            return "safetensors: cannot write: \(m)"
        }
    }
}
