import Foundation
import WhittleFormats
import WhittleTensor

extension HFCheckpoint: WeightSource {}

/// Builds a `LanguageModel` from a checkpoint: reads the architecture from the configuration
/// and hands its tensors to that architecture's file.
public enum LanguageModelLoader {
    /// Architectures Whittle runs, by config.json `model_type`.
    public static let supported = ["bert", "gemma3", "gemma3_text", "llama", "mistral", "qwen2", "qwen3"]

    /// `model_type` values for the `architectures` class names of configs that lack one.
    static let classNames = ["LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "Qwen2ForCausalLM": "qwen2",
                             "Qwen3ForCausalLM": "qwen3", "Gemma3ForCausalLM": "gemma3_text", "Gemma3ForConditionalGeneration": "gemma3",
                             "BertModel": "bert", "BertForMaskedLM": "bert"]

    /// Opens a checkpoint: a Hugging Face directory or a GGUF file, with its tokenizer when it has one.
    public static func load(path: String) throws -> LanguageModel {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CheckpointError("'\(path)' does not exist (expected a Hugging Face model directory or a .gguf file)")
        }
        if isDir.boolValue { return try load(directory: path) }
        if path.hasSuffix("/config.json") { return try load(directory: String(path.dropLast("/config.json".count))) }
        if path.lowercased().hasSuffix(".gguf") { return try load(gguf: path) }
        throw CheckpointError("'\(path)': not a model (supported: a Hugging Face directory with config.json and safetensors weights, or a .gguf file)")
    }

    /// Opens a Hugging Face directory.
    public static func load(directory: String) throws -> LanguageModel {
        let ckpt = try HFCheckpoint(directory: directory)
        let type = try modelType(ckpt.config, source: ckpt.directory + "/config.json")
        let quantization = ckpt.config["quantization_config"] as? [String: Any]
        let weights: WeightSource = quantization?["quant_method"] as? String == "compressed-tensors" ? CompressedTensorsWeights(ckpt) : ckpt
        let lm = try build(modelType: type, config: ckpt.configData, weights: weights, configName: ckpt.directory + "/config.json", path: directory)
        lm.tokenizer = try TokenizerCodec.load(directory: ckpt.directory)
        lm.hfConfig = ckpt.configData
        let files = Set(ckpt.weightMap.values).sorted() + ["config.json", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json"]
        lm.provenance = Provenance(source: (ckpt.directory as NSString).lastPathComponent,
                                   files: files.map { ckpt.directory + "/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) })
        return lm
    }

    /// The configuration's model_type (or the one its `architectures` class implies).
    static func modelType(_ config: [String: Any], source: String) throws -> String {
        if let t = config["model_type"] as? String { return t }
        if let classes = config["architectures"] as? [String], let c = classes.first, let t = classNames[c] { return t }
        throw CheckpointError("\(source): no \"model_type\" (supported: \(supported.joined(separator: ", ")))")
    }

    /// Builds the architecture `modelType` from its configuration JSON and weights.
    public static func build(modelType: String, config: Data, weights: WeightSource, configName: String, path: String) throws -> LanguageModel {
        let reader = WeightReader(weights, configName: configName)
        func decode<C: Decodable>(_ type: C.Type, _ data: Data) throws -> C {
            do { return try JSONDecoder().decode(type, from: data) } catch let e as DecodingError {
                throw CheckpointError("\(configName): \(describe(e))")
            }
        }
        switch modelType {
        case "llama", "mistral":
            return LanguageModel(architecture: modelType, path: path, network: .decoder(try makeLlama(decode(LlamaConfiguration.self, config), reader)))
        case "qwen2", "qwen3":
            return LanguageModel(architecture: modelType, path: path, network: .decoder(try makeQwen(decode(QwenConfiguration.self, config), reader)))
        case "gemma3_text":
            return LanguageModel(architecture: "gemma3", path: path, network: .decoder(try makeGemma3(decode(Gemma3Configuration.self, config), reader)))
        case "gemma3":
            // The multimodal checkpoint nests the text model's configuration and prefixes its tensors.
            guard let object = try? JSONSerialization.jsonObject(with: config) as? [String: Any],
                  let text = object["text_config"], let textData = try? JSONSerialization.data(withJSONObject: text) else {
                return LanguageModel(architecture: "gemma3", path: path, network: .decoder(try makeGemma3(decode(Gemma3Configuration.self, config), reader)))
            }
            let c = try decode(Gemma3Configuration.self, textData)
            let model = try DecoderModel(spec: c.spec(), reader: reader, prefix: "language_model.model.", normNames: gemmaNormNames)
            return LanguageModel(architecture: "gemma3", path: path, network: .decoder(model))
        case "bert":
            return LanguageModel(architecture: "bert", path: path, network: .encoder(try BertModel(decode(BertConfiguration.self, config), reader)))
        default:
            throw CheckpointError("\(configName): architecture '\(modelType)' is not supported (supported: \(supported.joined(separator: ", ")))")
        }
    }

    /// A one-line reading of a configuration decoding error: the key and what was wrong.
    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [CodingKey]) -> String { c.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch e {
        case .keyNotFound(let k, let ctx): return "missing key '\(path(ctx.codingPath + [k]))'"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx): return "key '\(path(ctx.codingPath))' has the wrong type (\(ctx.debugDescription))"
        case .dataCorrupted(let ctx): return "invalid JSON (\(ctx.debugDescription))"
        @unknown default: return "\(e)"
        }
    }
}
