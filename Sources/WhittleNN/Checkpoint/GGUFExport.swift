import Foundation
import WhittleFormats
import WhittleKernels
import WhittleText
import WhittleTensor

/// `lm:save("out.gguf")`: a decoder as a GGUF file llama.cpp runs. Weights keep their current
/// types (f32/f16/bf16 or any ggml block type, GPTQ's included); names are llama.cpp's; a model
/// loaded from GGUF keeps its metadata, one loaded from Hugging Face gets the metadata and
/// tokenizer llama.cpp's converter would write (Llama's q/k rows permuted as it does).
public enum GGUFExport {
    /// Architectures written from a Hugging Face source (a GGUF source keeps its own metadata).
    static let fromHF = ["llama", "mistral", "qwen2", "qwen3"]

    /// Writes `lm` to `path` atomically; every check runs before anything is written.
    public static func save(_ lm: LanguageModel, to path: String, provenance: [(key: String, value: String)]) throws {
        guard let d = lm.decoder else {
            throw ExportError("\(lm.architecture) is an encoder: GGUF export covers decoders (save it as a directory instead)")
        }
        let isLlama = lm.architecture == "llama" || lm.architecture == "mistral"
        // GGUF-loaded Llamas already hold llama.cpp's row order (and run adjacent-pair RoPE).
        let permute = isLlama && d.spec.ropeStyle == .neox
        let normDelta = d.spec.normOffset  // GGUF stores the full norm weight (Gemma's 1 + w)
        var tensors: [GGUFTensorPayload] = []
        for (name, p) in lm.module.parameters() {
            guard let g = ggufName(name, architecture: lm.architecture) else {
                throw ExportError("tensor '\(name)' has no llama.cpp name for \(lm.architecture)")
            }
            var t = p.value
            if permute && name.hasSuffix("self_attn.q_proj.weight") || permute && name.hasSuffix("self_attn.q_proj.bias") {
                t = try ExportTensors.permuteRows(t, heads: d.spec.heads, inverse: false, name: name)
            } else if permute && (name.hasSuffix("self_attn.k_proj.weight") || name.hasSuffix("self_attn.k_proj.bias")) {
                t = try ExportTensors.permuteRows(t, heads: d.spec.kvHeads, inverse: false, name: name)
            }
            if ExportTensors.isNormWeight(name) && normDelta != 0 {
                t = try ExportTensors.offset(t, by: normDelta)
            } else if t.rank == 1 && t.dtype != .f32 {
                t = try ExportTensors.f32(t)  // llama.cpp multiplies by norms and adds biases in f32
            }
            guard t.dtype.ggmlLayout != nil else {
                throw ExportError("tensor '\(name)' is \(t.dtype), which GGUF cannot hold (f32, f16, bf16 or a ggml block type)")
            }
            do { tensors.append(try GGUFTensorPayload(name: g, tensor: t)) } catch let e as GGUFError {
                throw ExportError("tensor '\(name)': \(e)")
            }
        }
        if let source = lm.ggufSource {
            let order = Dictionary(source.tensorInfos.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
            tensors.sort { (order[$0.name] ?? Int.max, $0.name) < (order[$1.name] ?? Int.max, $1.name) }
        }
        var meta: GGUFMetadata
        if let source = lm.ggufSource {
            meta = source.metadata
            for k in ["split.no", "split.count", "split.tensors.count"] { meta[k] = nil }
        } else {
            meta = try metadata(for: lm, decoder: d)
        }
        meta["general.quantization_version"] = .uint32(2)
        meta["general.file_type"] = .uint32(fileType(tensors))
        for (k, v) in provenance { meta[k] = .string(v) }
        do { try GGUFWriter.write(metadata: meta, tensors: tensors, to: path) } catch let e as GGUFError {
            throw ExportError("\(path): \(e)")
        }
    }

    /// The llama.cpp name of a Hugging Face decoder tensor (the inverse of the loader's map).
    static func ggufName(_ name: String, architecture: String) -> String? {
        switch name {
        case "model.embed_tokens.weight": return "token_embd.weight"
        case "model.norm.weight": return "output_norm.weight"
        case "lm_head.weight": return "output.weight"
        default: break
        }
        let prefix = "model.layers."
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]) else { return nil }
        let tail = String(rest[rest.index(after: dot)...])
        guard let last = tail.lastIndex(of: ".") else { return nil }
        let base = String(tail[..<last]), suffix = String(tail[last...])
        let gemma = architecture == "gemma3"
        let table: [String: String] = [
            "input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
            "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm",
            "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
            "post_attention_layernorm": gemma ? "post_attention_norm" : "ffn_norm",
            "pre_feedforward_layernorm": "ffn_norm", "post_feedforward_layernorm": "post_ffw_norm",
        ]
        guard let g = table[base] else { return nil }
        return "blk.\(layer).\(g)\(suffix)"
    }

    /// llama.cpp's `general.file_type` for the type holding most weight elements (display only).
    static func fileType(_ tensors: [GGUFTensorPayload]) -> UInt32 {
        var counts: [GGMLType: Int] = [:]
        for t in tensors where t.dims.count == 2 { counts[t.type, default: 0] += t.dims.reduce(1, *) }
        guard let main = counts.max(by: { $0.value < $1.value })?.key else { return 0 }
        let table: [GGMLType: UInt32] = [.f32: 0, .f16: 1, .q4_0: 2, .q4_1: 3, .q8_0: 7, .q5_0: 8, .q5_1: 9, .q2_K: 10,
                                        .q3_K: 12, .q4_K: 15, .q5_K: 17, .q6_K: 18, .iq4_nl: 25, .iq4_xs: 30, .bf16: 32]
        return table[main] ?? 0
    }

    /// What llama.cpp's converter writes for a Hugging Face Llama/Qwen: hyperparameters and the tokenizer.
    static func metadata(for lm: LanguageModel, decoder d: DecoderModel) throws -> GGUFMetadata {
        guard fromHF.contains(lm.architecture) else {
            throw ExportError("GGUF export of a Hugging Face \(lm.architecture) model is not supported (supported: \(fromHF.joined(separator: ", ")); a GGUF source of any architecture)")
        }
        let s = d.spec
        let a = lm.architecture == "mistral" ? "llama" : lm.architecture
        guard Set(s.slidingWindow.map { $0 ?? -1 }).count <= 1, s.slidingWindow.first.map({ $0 == nil }) ?? true else {
            throw ExportError("GGUF export of sliding-window attention (\(lm.architecture)) is not supported")
        }
        var m = GGUFMetadata()
        m["general.architecture"] = .string(a)
        m["general.type"] = .string("model")
        m["general.name"] = .string(lm.provenance.sourceName ?? lm.architecture)
        m["\(a).block_count"] = .uint32(UInt32(s.layers))
        m["\(a).context_length"] = .uint32(UInt32(s.maxContext))
        m["\(a).embedding_length"] = .uint32(UInt32(s.hidden))
        m["\(a).feed_forward_length"] = .uint32(UInt32(s.ffn))
        m["\(a).attention.head_count"] = .uint32(UInt32(s.heads))
        m["\(a).attention.head_count_kv"] = .uint32(UInt32(s.kvHeads))
        m["\(a).rope.freq_base"] = .float32(Float(s.ropeTheta.first ?? 10000))
        m["\(a).attention.layer_norm_rms_epsilon"] = .float32(s.normEps)
        if s.headDim * s.heads != s.hidden || a == "qwen3" {
            m["\(a).attention.key_length"] = .uint32(UInt32(s.headDim))
            m["\(a).attention.value_length"] = .uint32(UInt32(s.headDim))
        }
        if a == "llama" {
            m["\(a).vocab_size"] = .uint32(UInt32(s.vocab))
            m["\(a).rope.dimension_count"] = .uint32(UInt32(s.headDim))
        }
        if let r = s.ropeScaling {
            let kind = r.ropeType ?? r.type ?? "linear"
            guard kind == "linear" || kind == "default" else {
                throw ExportError("GGUF export of rope scaling '\(kind)' is not supported (supported: linear)")
            }
            if kind == "linear" {
                m["\(a).rope.scaling.type"] = .string("linear")
                m["\(a).rope.scaling.factor"] = .float32(Float(r.factor ?? 1))
            }
        }
        if let codec = lm.tokenizer as? TokenizerCodec {
            for (k, v) in try tokenizerMetadata(codec.tokenizer) { m[k] = v }
        }
        return m
    }

    /// `tokenizer.ggml.*` for a byte-level BPE tokenizer (llama.cpp's "gpt2" model).
    static func tokenizerMetadata(_ tokenizer: any Tokenizer) throws -> [(String, GGUFValue)] {
        guard let t = tokenizer as? ByteLevelBPETokenizer else {
            throw ExportError("the \(type(of: tokenizer)) tokenizer cannot be written as GGUF metadata (supported: byte-level BPE)")
        }
        let pre: String
        switch t.preTokenizer.rules {
        case [.gpt2]: pre = "gpt-2"
        case [.llama3(maxDigits: 3)]: pre = "llama-bpe"
        case [.llama3(maxDigits: 1)]: pre = "qwen2"
        case [.digits(individual: true), .gpt2]: pre = "smollm"
        default: throw ExportError("the tokenizer's pre-tokenizer has no llama.cpp name")
        }
        var out: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .array(.string(t.tokens))),
            ("tokenizer.ggml.token_type", .array(.int32(t.types.map(\.rawValue)))),
            ("tokenizer.ggml.merges", .array(.string(t.mergePairs.map { "\($0.0) \($0.1)" }))),
        ]
        if let b = t.bosID { out.append(("tokenizer.ggml.bos_token_id", .uint32(UInt32(b)))) }
        if let e = t.eosID { out.append(("tokenizer.ggml.eos_token_id", .uint32(UInt32(e)))) }
        out.append(("tokenizer.ggml.add_bos_token", .bool(t.bosID.map { t.prefix.contains($0) } ?? false)))
        return out
    }
}
