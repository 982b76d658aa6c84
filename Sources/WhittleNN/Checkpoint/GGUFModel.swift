import Foundation
import WhittleFormats
import WhittleTensor

/// A GGUF file's tensors under Hugging Face names, in their stored ggml types (borrowing the
/// mapping), with row-major shapes (ggml's dimensions reversed by the reader). llama.cpp's names
/// are mapped here, once, so the architecture code only knows the checkpoint names.
final class GGUFWeights: WeightSource {
    let file: GGUFFile
    private let hfToGGUF: [String: String]

    init(_ file: GGUFFile, architecture: String) {
        self.file = file
        var map: [String: String] = [:]
        for info in file.tensorInfos { map[GGUFWeights.hfName(info.name, architecture: architecture)] = info.name }
        hfToGGUF = map
    }

    /// llama.cpp's per-layer tensor names and their Hugging Face equivalents.
    static func hfName(_ name: String, architecture: String) -> String {
        switch name {
        case "token_embd.weight": return "model.embed_tokens.weight"
        case "output_norm.weight": return "model.norm.weight"
        case "output.weight": return "lm_head.weight"
        default: break
        }
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "blk", let layer = Int(parts[1]) else { return name }
        let rest = parts[2]
        guard let dot = rest.lastIndex(of: ".") else { return name }
        let base = String(rest[..<dot]), suffix = String(rest[dot...])
        let table: [String: String] = [
            "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
            "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "attn_q_norm": "self_attn.q_norm",
            "attn_k_norm": "self_attn.k_norm", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
            "ffn_norm": architecture == "gemma3" ? "pre_feedforward_layernorm" : "post_attention_layernorm",
            "post_attention_norm": "post_attention_layernorm", "post_ffw_norm": "post_feedforward_layernorm",
        ]
        guard let hf = table[base] else { return name }
        return "model.layers.\(layer).\(hf)\(suffix)"
    }

    var tensorNames: [String] { hfToGGUF.keys.sorted() }

    func tensor(named name: String) throws -> Tensor? {
        guard let g = hfToGGUF[name] else { return nil }
        do { return try file.tensor(named: g) } catch let e as GGUFError {
            throw CheckpointError("\(file.path): tensor '\(g)': \(e)")
        }
    }

    func location(of name: String) -> String {
        hfToGGUF[name].map { "\(file.path) (tensor '\($0)')" } ?? file.path
    }
}

extension LanguageModelLoader {
    /// Architectures Whittle runs from GGUF files (general.architecture).
    public static let supportedGGUF = ["gemma3", "llama", "qwen2", "qwen3"]

    /// Opens a GGUF file: hyperparameters from `<arch>.*` metadata, weights in their stored ggml
    /// types, the tokenizer from `tokenizer.ggml.*`.
    public static func load(gguf path: String) throws -> LanguageModel {
        let f: GGUFFile
        do { f = try GGUFFile.open(path) } catch let e as GGUFError { throw CheckpointError("\(path): \(e)") }
        guard let arch = f.string("general.architecture") else { throw CheckpointError("\(path): no general.architecture in the metadata") }
        guard supportedGGUF.contains(arch) else {
            throw CheckpointError("\(path): architecture '\(arch)' is not supported (supported: \(supportedGGUF.joined(separator: ", ")))")
        }
        let weights = GGUFWeights(f, architecture: arch)
        let spec = try ggufSpec(f, arch: arch, weights: weights)
        let reader = WeightReader(weights, configName: "\(path) metadata")
        let names = arch == "gemma3" ? gemmaNormNames : llamaNormNames
        let model = try DecoderModel(spec: spec, reader: reader, normNames: names)
        let lm = LanguageModel(architecture: arch, path: path, network: .decoder(model))
        lm.tokenizer = try TokenizerCodec.load(gguf: f)
        lm.ggufSource = f
        lm.provenance = Provenance(source: (path as NSString).lastPathComponent, files: [path])
        if let t = lm.tokenizer as? TokenizerCodec, t.tokenizer.vocabSize != spec.vocab {
            throw CheckpointError("\(path): the tokenizer has \(t.tokenizer.vocabSize) tokens but token_embd.weight has \(spec.vocab) rows")
        }
        return lm
    }

    /// The decoder described by `<arch>.*` keys, following llama.cpp's defaults for absent ones.
    static func ggufSpec(_ f: GGUFFile, arch a: String, weights: GGUFWeights) throws -> DecoderSpec {
        func required(_ key: String) throws -> Int {
            guard let v = f.int("\(a).\(key)") else { throw CheckpointError("\(f.path): missing metadata '\(a).\(key)'") }
            return v
        }
        guard let embd = f.info(named: "token_embd.weight"), embd.shape.count == 2 else {
            throw CheckpointError("\(f.path): missing tensor 'token_embd.weight'")
        }
        var s = DecoderSpec()
        s.hidden = try required("embedding_length")
        s.layers = try required("block_count")
        s.ffn = try required("feed_forward_length")
        s.heads = try required("attention.head_count")
        s.kvHeads = f.int("\(a).attention.head_count_kv") ?? s.heads
        s.headDim = f.int("\(a).attention.key_length") ?? (s.heads > 0 ? s.hidden / s.heads : 0)
        s.maxContext = f.int("\(a).context_length") ?? 2048
        s.vocab = embd.shape[0]
        s.normEps = Float(f.float("\(a).attention.layer_norm_rms_epsilon") ?? 1e-5)
        let base = f.float("\(a).rope.freq_base") ?? 10000
        if let type = f.string("\(a).rope.scaling.type"), type != "none" {
            guard type == "linear" else { throw CheckpointError("\(f.path): rope scaling '\(type)' is not supported (supported: none, linear)") }
            var scaling = RoPEScaling()
            scaling.ropeType = "linear"
            scaling.factor = f.float("\(a).rope.scaling.factor") ?? 1
            s.ropeScaling = scaling
        } else if let factor = f.float("\(a).rope.scaling.factor"), factor != 1 {
            var scaling = RoPEScaling()
            scaling.ropeType = "linear"
            scaling.factor = factor
            s.ropeScaling = scaling
        }
        if let factors = try ropeFrequencyFactors(f, pairs: s.headDim / 2) {
            var scaling = s.ropeScaling ?? RoPEScaling()
            scaling.frequencyFactors = factors
            s.ropeScaling = scaling
        }
        let n = max(0, s.layers)
        s.tiedEmbeddings = f.info(named: "output.weight") == nil
        switch a {
        case "llama":
            // The converter permuted q/k rows for ggml's adjacent-pair rotation: use it rather than un-permuting.
            s.ropeStyle = .normal
            s.ropeTheta = Array(repeating: base, count: n)
            s.slidingWindow = Array(repeating: nil, count: n)
        case "qwen2", "qwen3":
            s.ropeStyle = .neox
            s.ropeTheta = Array(repeating: base, count: n)
            s.slidingWindow = Array(repeating: nil, count: n)
            s.qkvBias = a == "qwen2"
            s.qkNorm = a == "qwen3"
        default: // gemma3
            s.ropeStyle = .neox
            s.activation = .geluTanhF16Table  // llama.cpp's GELU, so GGUF models run as they do there
            s.qkNorm = true
            s.sandwichNorms = true
            s.normOffset = 0  // the converter stored 1 + w
            s.embeddingScale = Float(s.hidden).squareRoot()
            s.attentionScale = 1 / Float(s.headDim).squareRoot()
            let window = f.int("\(a).attention.sliding_window") ?? 0
            let pattern = f.int("\(a).attention.sliding_window_pattern") ?? 6
            let localBase = f.float("\(a).rope.freq_base_swa") ?? 10000
            let local = (0..<n).map { window > 0 && (pattern == 0 || $0 % pattern < pattern - 1) }
            s.slidingWindow = local.map { $0 ? window : nil }
            s.ropeTheta = local.map { $0 ? localBase : base }
            if f.float("\(a).final_logit_softcapping").map({ $0 != 0 }) == true {
                throw CheckpointError("\(f.path): final logit soft-capping is not supported")
            }
        }
        return s
    }
}

extension LanguageModelLoader {
    /// `rope_freqs.weight`: the per-frequency divisors llama.cpp's converter writes for Llama 3.1-style
    /// rope scaling (ggml divides each rotation frequency by its factor), nil when absent.
    static func ropeFrequencyFactors(_ f: GGUFFile, pairs: Int) throws -> [Double]? {
        guard f.info(named: "rope_freqs.weight") != nil else { return nil }
        let t: Tensor
        do { t = try f.tensor(named: "rope_freqs.weight").checkedF32() } catch {
            throw CheckpointError("\(f.path): tensor 'rope_freqs.weight': \(error)")
        }
        guard t.count == pairs else {
            throw CheckpointError("\(f.path): tensor 'rope_freqs.weight' has \(t.count) values, the rotary dimension needs \(pairs)")
        }
        return (0..<t.count).map { Double(t.floats[$0]) }
    }
}
