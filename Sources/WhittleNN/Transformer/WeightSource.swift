import WhittleTensor

/// Named tensors a model is built from: an HF directory, a GGUF file, or a test's dictionary.
/// Names are Hugging Face's ("model.layers.0.self_attn.q_proj.weight"); shapes are row-major
/// (out, in), whatever order the file stores its dimensions in.
public protocol WeightSource: AnyObject {
    /// Every tensor name, for error messages and the unused-tensor check.
    var tensorNames: [String] { get }
    /// The tensor stored under `name` (borrowing the file where possible), or nil when absent.
    func tensor(named name: String) throws -> Tensor?
    /// The file holding `name`, or the files searched when it is absent.
    func location(of name: String) -> String
}

/// Tensors given in memory (tests, converted checkpoints).
public final class DictionaryWeights: WeightSource {
    private let tensors: [String: Tensor]
    private let label: String

    /// Wraps `tensors`; `label` names them in errors.
    public init(_ tensors: [String: Tensor], label: String = "weights") {
        self.tensors = tensors
        self.label = label
    }

    public var tensorNames: [String] { tensors.keys.sorted() }
    public func tensor(named name: String) throws -> Tensor? { tensors[name] }
    public func location(of name: String) -> String { label }
}

/// Reads the tensors an architecture asks for, checking each shape against the one its
/// configuration implies, so that a mismatch names the file, the tensor and both shapes.
public final class WeightReader {
    /// Where the tensors come from.
    public let source: WeightSource
    /// What the expected shapes come from ("config.json", "GGUF metadata").
    public let configName: String
    /// Names read so far.
    public private(set) var used: Set<String> = []

    /// A reader over `source` whose expectations come from `configName`.
    public init(_ source: WeightSource, configName: String) {
        self.source = source
        self.configName = configName
    }

    /// The tensor `name` with exactly `shape`; throws naming the file when absent or misshapen.
    public func require(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = try optional(name, shape: shape) else {
            throw NNError.invalidModel("\(source.location(of: name)): missing tensor '\(name)' (expected shape \(shapeString(shape)) from \(configName))")
        }
        return t
    }

    /// The tensor `name` with `shape`, or nil when the checkpoint does not have it.
    public func optional(_ name: String, shape: [Int]) throws -> Tensor? {
        guard let t = try source.tensor(named: name) else { return nil }
        if t.rank == 2, shape.count == 2, t.shape[1] == shape[1], t.shape[0] != shape[0], name.hasSuffix("word_embeddings.weight") || name.hasSuffix("embed_tokens.weight") {
            throw NNError.invalidModel("\(source.location(of: name)): tensor '\(name)' has \(t.shape[0]) rows, but \(configName) says the vocabulary has \(shape[0]) (shape \(shapeString(t.shape)), expected \(shapeString(shape)))")
        }
        guard t.shape == shape || (t.count == shape.reduce(1, *) && shape.count == 1) else {
            throw NNError.invalidModel("\(source.location(of: name)): tensor '\(name)' has shape \(shapeString(t.shape)), but \(configName) implies \(shapeString(shape))")
        }
        used.insert(name)
        return t.shape == shape ? t : try t.reshaped(shape)
    }

    /// True when the checkpoint has `name`.
    public func has(_ name: String) -> Bool { (try? source.tensor(named: name)) != nil }
}
