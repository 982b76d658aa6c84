import WhittleKernels

/// llama.cpp's per-tensor type choice (llama-quant.cpp: tensor_allows_quantization,
/// llama_tensor_get_type and its _impl, tensor_type_fallback), ported rule for rule so that a
/// mixture such as Q4_K_M picks the same type for every tensor as `llama-quantize` does.
/// Tensors must be visited in llama.cpp's order (`LlamaTensorRules.order`): counters advance per tensor.
public struct LlamaTensorRules {
    /// The broad role of a tensor, from its GGUF name (tensor_get_category).
    public enum Category: Equatable {
        case tokenEmbedding, attentionQ, attentionV, attentionK, attentionQKV, attentionKVB, attentionOutput
        case ffnUp, ffnGate, ffnDown, output, other

        init(name: String) {
            if name == "output.weight" { self = .output }
            else if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { self = .tokenEmbedding }
            else if name.contains("attn_qkv.weight") { self = .attentionQKV }
            else if name.contains("attn_kv_b.weight") { self = .attentionKVB }
            else if name.contains("attn_v.weight") { self = .attentionV }
            else if name.contains("attn_k.weight") { self = .attentionK }
            else if name.contains("attn_q.weight") { self = .attentionQ }
            else if name.contains("attn_output.weight") { self = .attentionOutput }
            else if name.contains("ffn_up") { self = .ffnUp }
            else if name.contains("ffn_gate") { self = .ffnGate }
            else if name.contains("ffn_down") { self = .ffnDown }
            else { self = .other }
        }

        var isAttentionV: Bool { self == .attentionV || self == .attentionQKV || self == .attentionKVB }
    }

    /// Model facts the rules read (from the GGUF metadata).
    public struct Model {
        public var arch: String
        public var layers: Int
        public var heads: Int
        public var kvHeads: Int
        public var experts: Int
        public init(arch: String, layers: Int, heads: Int, kvHeads: Int, experts: Int) {
            self.arch = arch; self.layers = layers; self.heads = heads; self.kvHeads = kvHeads; self.experts = experts
        }
        /// n_gqa: query heads per key/value head.
        var gqa: Int { kvHeads > 0 ? heads / kvHeads : 1 }
        var isFalcon: Bool { arch == "falcon" }
    }

    /// The user's choices, as llama-quantize's options.
    public struct Options {
        public var fileType: LlamaFileType
        /// --pure: no per-tensor mixture rules (shape fallbacks still apply).
        public var pure = false
        /// --imatrix given.
        public var hasImatrix = false
        /// --tensor-type PATTERN=TYPE, first match wins (a regular-expression search, as llama.cpp).
        public var overrides: [(pattern: String, type: GGMLType)] = []
        /// --output-tensor-type / --token-embedding-type.
        public var outputType: GGMLType?
        public var tokenEmbeddingType: GGMLType?
        /// --leave-output-tensor clears this.
        public var quantizeOutput = true
        public init(fileType: LlamaFileType) { self.fileType = fileType }
    }

    /// A decision for one tensor.
    public struct Choice {
        public var type: GGMLType
        /// Set when the row length forced another type than the rules chose.
        public var fallback: GGMLShapeFallback?
        /// True when a --tensor-type override applied.
        public var manual = false
    }

    let model: Model
    let options: Options
    private var nAttentionV = 0
    private var iAttentionV = 0, iFFNDown = 0, iFFNGate = 0, iFFNUp = 0
    private var tiedEmbeddings = true

    /// Prepares the counters from every tensor name of the model (init_quantize_state_counters).
    public init(model: Model, options: Options, tensorNames: [String]) {
        self.model = model
        self.options = options
        for n in tensorNames {
            let c = Category(name: n)
            if c.isAttentionV { nAttentionV += 1 }
            if c == .output { tiedEmbeddings = false }
        }
    }

    /// llama.cpp's tensor order (llama_model_loader's weight_name_comparer): by block number
    /// (tensors outside blocks first), then by name.
    public static func order(_ names: [String]) -> [String] {
        func block(_ n: String) -> Int {
            guard n.hasPrefix("blk.") else { return -1 }
            let digits = n.dropFirst(4).prefix { $0.isNumber }
            guard let b = Int(digits), n.dropFirst(4 + digits.count).first == "." else { return -1 }
            return b
        }
        return names.sorted { a, b in
            let la = block(a), lb = block(b)
            return la != lb ? la < lb : a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    /// tensor_allows_quantization, for the architectures Whittle runs.
    public func allowsQuantization(name: String, dims: Int) -> Bool {
        guard dims >= 2, name.hasSuffix("weight") else { return false }
        if name.contains("_norm.weight") { return false }
        if !options.quantizeOutput && name == "output.weight" { return false }
        for s in ["ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
                  "shortconv.conv.weight", "attn_rel_b.weight", ".position_embd", ".rel_pos", ".patch_embd", "time_mix_"] where name.contains(s) {
            return false
        }
        if name == "position_embd.weight" || name == "token_types.weight" { return false }
        return true
    }

    /// llama_tensor_get_type: the type `name` (row length `rowLength`, currently `current`) gets.
    /// Call once per tensor, in `order`.
    public mutating func choose(name: String, dims: Int, rowLength: Int, current: GGMLType) -> Choice {
        guard allowsQuantization(name: name, dims: dims) else { return Choice(type: current) }
        let category = Category(name: name)
        if let t = options.tokenEmbeddingType, category == .tokenEmbedding { return Choice(type: t) }
        if let t = options.outputType, category == .output { return Choice(type: t) }
        var type = options.fileType.defaultType
        guard type.blockSize > 1 else { return Choice(type: type) }   // F32/F16/BF16 files: no rules, no fallback
        var manual = false
        for o in options.overrides where name.range(of: o.pattern, options: .regularExpression) != nil {
            type = o.type; manual = true
            break
        }
        if !manual && !options.pure { type = mixtureType(type, name: name, rowLength: rowLength, category: category) }
        let f = GGMLShapeFallback(requested: type, rowLength: rowLength)
        return Choice(type: f.effective, fallback: f.changed ? f : nil, manual: manual)
    }

    private func useMoreBits(_ i: Int, _ n: Int) -> Bool {
        i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
    }

    /// The layer of an FFN tensor: the running counter, or the block number for MoE models.
    private func layerInfo(_ counter: Int, name: String) -> (Int, Int) {
        if model.experts > 1, name.hasPrefix("blk."), let b = Int(name.dropFirst(4).prefix { $0.isNumber }) { return (b, model.layers) }
        return (counter, model.layers)
    }

    /// llama_tensor_get_type_impl for the mixtures Whittle can write.
    private mutating func mixtureType(_ start: GGMLType, name: String, rowLength: Int, category c: Category) -> GGMLType {
        var t = start
        let ft = options.fileType
        if c == .output || (tiedEmbeddings && c == .tokenEmbedding) {
            if let o = options.outputType { return o }
            if model.isFalcon || rowLength % t.blockSize != 0 { t = .q8_0 }
            else if t != .q8_0 { t = .q6_K }
        } else if c == .tokenEmbedding {
            if let e = options.tokenEmbeddingType { t = e }
            else if ft == .tq1_0 || ft == .tq2_0 { t = .q4_K }
        } else if c.isAttentionV {
            let gqa = model.gqa
            switch ft {
            case .q2_K: t = gqa >= 4 ? .q4_K : .q3_K
            case .q2_K_S where gqa >= 4: t = .q4_K
            case .q3_K_M: t = iAttentionV < 2 ? .q5_K : .q4_K
            case .q3_K_L: t = .q5_K
            case .iq4_nl where gqa >= 4, .iq4_xs where gqa >= 4: t = .q5_K
            case .q4_K_M where useMoreBits(iAttentionV, nAttentionV), .q5_K_M where useMoreBits(iAttentionV, nAttentionV): t = .q6_K
            case .q4_K_S where iAttentionV < 4: t = .q5_K
            default: break
            }
            if model.experts == 8 { t = .q8_0 }
            iAttentionV += 1
        } else if c == .attentionK {
            if model.experts == 8 { t = .q8_0 }
        } else if c == .ffnDown {
            let (i, n) = layerInfo(iFFNDown, name: name)
            switch ft {
            case .q2_K: t = .q3_K
            case .q2_K_S: if i < n / 8 { t = .q4_K }
            case .q3_K_M: t = i < n / 16 ? .q5_K : (!model.isFalcon || useMoreBits(i, n) ? .q4_K : .q3_K)
            case .q3_K_L: t = model.isFalcon ? .q4_K : .q5_K
            case .q4_K_M:
                if model.isFalcon { t = i < n / 16 ? .q6_K : useMoreBits(i, n) ? .q5_K : .q4_K }
                else if useMoreBits(i, n) { t = .q6_K }
            default:
                if i < n / 8 && (ft == .iq4_nl || ft == .iq4_xs) && !options.hasImatrix { t = .q5_K }
                else if ft == .q5_K_M && useMoreBits(i, n) { t = .q6_K }
                else if ft == .q4_K_S && !model.isFalcon && i < n / 8 { t = .q5_K }
                else if (ft == .q4_0 || ft == .q5_0) && options.hasImatrix && i < n / 8 { t = ft == .q4_0 ? .q4_1 : .q5_1 }
            }
            iFFNDown += 1
        } else if c == .attentionOutput {
            if !model.isFalcon {
                if model.experts == 8 {
                    if [.q2_K, .q3_K_S, .q3_K_M, .iq4_nl, .q4_K_S, .q4_K_M, .iq4_xs].contains(ft) { t = .q5_K }
                } else if ft == .q2_K { t = .q3_K }
                else if ft == .q3_K_M { t = .q4_K }
                else if ft == .q3_K_L { t = .q5_K }
            } else if ft == .q3_K_L { t = .q4_K }
        } else if c == .attentionQKV {
            if ft == .q3_K_M || ft == .q3_K_L { t = .q4_K }
            else if ft == .q4_K_M { t = .q5_K }
            else if ft == .q5_K_M { t = .q6_K }
        } else if c == .ffnGate {
            iFFNGate += 1
        } else if c == .ffnUp {
            iFFNUp += 1
        }
        return t
    }
}
