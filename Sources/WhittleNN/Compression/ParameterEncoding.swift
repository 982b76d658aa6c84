import Foundation
import WhittleTensor

/// A compact stored form of a parameter (int8 + scales, Q4_0 blocks, CSR, codebook + indices).
///
/// How it fits together:
/// - `Parameter.setEncoding(e)` attaches one; the parameter's `value` becomes `e.decode()` (so
///   every f32 consumer keeps working) and the parameter is frozen: an encoded weight is not trained.
/// - `Model.save` writes `storedTensors()` as "<param>.<suffix>" instead of the dense value, and
///   `format`, `shape` and `fields` in the "whittle.compression" JSON of `__metadata__`.
/// - `Model.load` finds the decoder for `format` in `EncodingRegistry` and rebuilds the encoding.
///   A new format registers its decoder by adding its type to `EncodingRegistry.builtinTypes`
///   (Compression/BuiltinEncodings.swift), or at run time with `EncodingRegistry.register`.
/// - Layers run an `ExecutableEncoding` with its own kernel in eval mode.
public protocol ParameterEncoding: AnyObject {
    /// Format id written to the file ("int8", "q4_0", "csr"); never reuse one for another layout.
    var format: String { get }
    /// Shape of the dense parameter it stands for.
    var shape: [Int] { get }
    /// The tensors to store, each under "<param>.<suffix>" (suffixes without dots).
    func storedTensors() -> [(suffix: String, tensor: Tensor)]
    /// Extra JSON fields for the metadata entry (String, Int, Double, Bool or arrays of them).
    var fields: [String: Any] { get }
    /// The dense f32 tensor of `shape`.
    func decode() throws -> Tensor
    /// Bytes the stored form occupies (what lands on disk for this parameter).
    var byteCount: Int { get }
}

extension ParameterEncoding {
    /// Sum of the stored tensors' bytes.
    public var storedByteCount: Int { storedTensors().reduce(0) { $0 + $1.tensor.byteCount } }
    /// Bits per dense element, for reports.
    public var bitsPerWeight: Double {
        let n = shape.reduce(1, *)
        return n == 0 ? 0 : Double(byteCount * 8) / Double(n)
    }
}

/// A decoder's view of one stored entry: its metadata fields and its tensors by suffix.
public struct EncodedEntry {
    /// Parameter name ("5.weight"), for messages.
    public let name: String
    /// The dense shape recorded in the metadata.
    public let shape: [Int]
    /// Every field of the metadata entry (format, shape, tensors and the encoding's own).
    public let fields: [String: Any]
    /// Returns the stored tensor "<name>.<suffix>", throwing when the file lacks it.
    public let tensor: (String) throws -> Tensor

    /// A wrong-file error naming this entry.
    public func invalid(_ message: String) -> NNError {
        NNError.invalidModel("compressed parameter '\(name)': \(message)")
    }

    /// A required integer field.
    public func int(_ key: String) throws -> Int {
        guard let v = jsonInt(fields[key]) else { throw invalid("field '\(key)' must be an integer") }
        return v
    }

    /// A required boolean field.
    public func bool(_ key: String) throws -> Bool {
        guard let b = fields[key] as? Bool else { throw invalid("field '\(key)' must be true or false") }
        return b
    }

    /// The stored tensor `suffix`, checked for dtype and shape.
    public func tensor(_ suffix: String, _ dtype: DType, _ shape: [Int]) throws -> Tensor {
        let t = try tensor(suffix)
        guard t.dtype == dtype, t.shape == shape else {
            throw invalid("tensor '\(suffix)' must be \(dtype) \(shapeString(shape)), got \(t.dtype) \(shapeString(t.shape))")
        }
        return t
    }
}

/// An integer from a JSON number (NSNumber or Int), or nil.
func jsonInt(_ v: Any?) -> Int? {
    guard let n = v as? NSNumber else { return nil }
    let d = n.doubleValue
    return d == d.rounded() && abs(d) < 9e15 ? Int(d) : nil
}
