import Foundation
import WhittleFormats
import WhittleKernels
import WhittleText
import WhittleTensor

/// `lm:save("outdir/")`: a Hugging Face directory (config.json, model.safetensors,
/// tokenizer.json, tokenizer_config.json). Weights are stored as f32/f16/bf16; ggml block
/// weights are refused by name and type unless `dequantize` gives a float type, or the
/// compressed-tensors layout holds them (Q4_0 → pack-quantized int4, Q4_1 with integer zero points →
/// pack-quantized asymmetric int4, Q8_0 → int-quantized int8).
public enum HFExport {
    /// How weights are stored.
    public struct Options {
        /// Store Q4_0/Q4_1 (integer zeros)/Q8_0 projection weights in compressed-tensors form.
        public var compressedTensors = false
        /// Convert block-typed tensors that the format cannot hold to this float type (f32, f16, bf16).
        public var dequantize: DType?
        /// Plain f32/f16/bf16 storage; block types are an error.
        public init() {}
    }

    /// Writes the directory; everything is prepared and checked before the first file is written.
    /// A new directory appears whole (built beside it, then renamed); in an existing one each file
    /// is replaced atomically.
    public static func save(_ lm: LanguageModel, to directory: String, options: Options, provenance: [(key: String, value: String)]) throws {
        let dir = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        var tensors: [(name: String, tensor: Tensor)] = []
        var schemes: [String: CompressedTensors.Scheme] = [:]
        var ignore: [String] = []
        let d = lm.decoder
        let projections = ExportTensors.projectionWeights(lm.module)
        let isLlama = lm.architecture == "llama" || lm.architecture == "mistral"
        let unpermute = isLlama && d?.spec.ropeStyle == .normal
        let hfNormOffset: Float = lm.architecture == "gemma3" ? 1 : 0
        let normDelta = (d?.spec.normOffset ?? 0) - hfNormOffset
        let parameters = lm.module.parameters()
        // A tensor as Hugging Face stores it: Llama's q/k rows (weights, biases, W8A8 row scales) un-permuted.
        func stored(_ name: String, _ value: Tensor) throws -> Tensor {
            guard let d, unpermute else { return value }
            for (proj, heads) in [("self_attn.q_proj", d.spec.heads), ("self_attn.k_proj", d.spec.kvHeads)]
            where [".weight", ".bias", ".weight_scale"].contains(where: { name.hasSuffix(proj + $0) }) {
                return try ExportTensors.permuteRows(value, heads: heads, inverse: true, name: name)
            }
            return value
        }
        let w8a8Scales = Dictionary(parameters.filter { $0.name.hasSuffix(".weight_scale") }.map { ($0.name, $0.parameter.value) },
                                    uniquingKeysWith: { a, _ in a })
        for (name, p) in parameters {
            if w8a8Scales[name] != nil { continue }  // written with its weight below, or as a plain tensor
            var t = try stored(name, p.value)
            if d != nil && ExportTensors.isNormWeight(name) && normDelta != 0 { t = try ExportTensors.offset(t, by: normDelta) }
            let module = name.hasSuffix(".weight") ? String(name.dropLast(".weight".count)) : nil
            let isProjection = module != nil && t.rank == 2 && projections.contains(name) && name != "lm_head.weight"
            if let module, t.dtype == .i8, let scales = w8a8Scales[module + ".weight_scale"] {
                guard options.compressedTensors, isProjection else {
                    throw ExportError("tensor '\(name)' is a W8A8 projection (int8 weight, a scale per row): only format=\"compressed-tensors\" holds it")
                }
                tensors += try CompressedTensors.compressChannels(t, scales: try stored(module + ".weight_scale", scales), module: module)
                schemes[module] = .int8Channel
                continue
            }
            if options.compressedTensors, isProjection, let module {
                if let (scheme, compressed) = try CompressedTensors.compress(t, module: module) {
                    tensors += compressed
                    schemes[module] = scheme
                    continue
                }
                if t.dtype.ggmlBlockType != nil && options.dequantize == nil {
                    throw ExportError(CompressedTensors.refusal(t, name: name))
                }
                ignore.append(module)
            } else if options.compressedTensors, name == "lm_head.weight" {
                ignore.append("lm_head")
            }
            if SafetensorsDType(t.dtype) == nil || t.dtype.ggmlBlockType != nil {
                guard let target = options.dequantize else {
                    throw ExportError("tensor '\(name)' is \(t.dtype.description.uppercased()), which a Hugging Face safetensors file cannot hold (f32, f16, bf16); pass dequantize=\"f16\" (or f32, bf16)\(options.compressedTensors ? "" : ", or format=\"compressed-tensors\" for Q4_0, Q8_0 and integer-zero Q4_1 (q4_1_zp) weights")")
                }
                t = try convert(t, to: target, name: name)
            }
            tensors.append((name, t))
        }
        if options.compressedTensors && lm.decoder?.spec.tiedEmbeddings == true { ignore.append("lm_head") }
        var config = try configJSON(lm)
        config["torch_dtype"] = dominantFloatType(tensors)
        if options.compressedTensors {
            guard !schemes.isEmpty else {
                throw ExportError("compressed-tensors export: no projection weight is Q4_0, Q8_0 or W8A8, nor Q4_1 with integer zero points (quantize first, e.g. whittle.lm.gptq (format=\"q4_1_zp\" for asymmetric int4), quantize.weights or quantize.smoothquant)")
            }
            config["quantization_config"] = CompressedTensors.quantizationConfig(schemes, ignore: Array(Set(ignore)))
        } else {
            config["quantization_config"] = nil
        }
        var files: [(String, [UInt8])] = []
        let configBytes = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        files.append(("config.json", Array(configBytes)))
        if let codec = lm.tokenizer as? TokenizerCodec {
            do {
                files.append(("tokenizer.json", try TokenizerJSON.write(codec.tokenizer)))
                files.append(("tokenizer_config.json", try TokenizerJSON.writeConfig(codec.tokenizer)))
            } catch {
                throw ExportError("the tokenizer cannot be written as tokenizer.json: \(error)")
            }
        }
        var meta: [String: String] = ["format": "pt"]  // transformers refuses safetensors without it
        for (k, v) in provenance { meta[k] = v }
        let names = tensors.map(\.name)
        guard Set(names).count == names.count else { throw ExportError("two tensors share a name") }
        try writeDirectory(dir, files: files) { path in try Safetensors.write(tensors, metadata: meta, to: path) }
    }

    /// f32/f16/bf16 copy of any tensor.
    static func convert(_ t: Tensor, to target: DType, name: String) throws -> Tensor {
        let f = try ExportTensors.f32(t)
        if target == .f32 { return f === t ? f.clone() : f }
        guard let g = target.ggmlLayout, target == .f16 || target == .bf16 else {
            throw ExportError("dequantize: '\(target)' is not f32, f16 or bf16")
        }
        let out = try Tensor(zeros: t.shape, dtype: target)
        try GGMLCodec.quantize(g, f.floats, out.storage.bytes, count: f.count, rowLength: t.shape.last ?? f.count, importance: nil)
        return out
    }

    /// The torch_dtype config.json should name: the float type holding most elements.
    static func dominantFloatType(_ tensors: [(name: String, tensor: Tensor)]) -> String {
        var counts: [DType: Int] = [:]
        for (_, t) in tensors where [.f32, .f16, .bf16].contains(t.dtype) { counts[t.dtype, default: 0] += t.count }
        switch counts.max(by: { $0.value < $1.value })?.key {
        case .f16?: return "float16"
        case .bf16?: return "bfloat16"
        default: return "float32"
        }
    }

    /// The source's config.json (kept as loaded), or one written from the model's numbers.
    static func configJSON(_ lm: LanguageModel) throws -> [String: Any] {
        if let data = lm.hfConfig, let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] { return object }
        guard let d = lm.decoder else { throw ExportError("\(lm.architecture): no config.json to write") }
        let s = d.spec
        let classes = ["llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"]
        guard let cls = classes[lm.architecture] else {
            throw ExportError("saving a GGUF \(lm.architecture) model as a Hugging Face directory is not supported (supported: \(classes.keys.sorted().joined(separator: ", ")))")
        }
        guard s.slidingWindow.allSatisfy({ $0 == nil }) else { throw ExportError("sliding-window layers cannot be described in config.json yet") }
        var c: [String: Any] = [
            "architectures": [cls], "model_type": lm.architecture, "vocab_size": s.vocab, "hidden_size": s.hidden,
            "intermediate_size": s.ffn, "num_hidden_layers": s.layers, "num_attention_heads": s.heads,
            "num_key_value_heads": s.kvHeads, "head_dim": s.headDim, "max_position_embeddings": s.maxContext,
            "rms_norm_eps": Double(s.normEps), "rope_theta": s.ropeTheta.first ?? 10000, "hidden_act": "silu",
            "tie_word_embeddings": s.tiedEmbeddings,
        ]
        if lm.architecture == "llama" || lm.architecture == "mistral" {
            c["attention_bias"] = s.qkvBias
            c["mlp_bias"] = s.mlpBias
        }
        if lm.architecture == "qwen3" { c["attention_bias"] = s.qkvBias }
        if let r = s.ropeScaling { c["rope_scaling"] = ["rope_type": r.ropeType ?? r.type ?? "linear", "factor": r.factor ?? 1] }
        if let codec = lm.tokenizer as? TokenizerCodec {
            if let b = codec.tokenizer.bosID { c["bos_token_id"] = Int(b) }
            if let e = codec.tokenizer.eosID { c["eos_token_id"] = Int(e) }
        }
        return c
    }

    /// Puts `files` and model.safetensors into `dir`: a new directory is built as a hidden sibling and
    /// renamed into place; an existing one gets each file replaced atomically.
    static func writeDirectory(_ dir: String, files: [(String, [UInt8])], weights: (String) throws -> Void) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else { throw ExportError("'\(dir)' exists and is not a directory") }
            try weights(dir + "/model.safetensors")
            for (name, bytes) in files { try AtomicFile.write(bytes, to: dir + "/" + name) }
            // A stale shard index would point the loader at old shards.
            try? fm.removeItem(atPath: dir + "/model.safetensors.index.json")
            return
        }
        let parent = (dir as NSString).deletingLastPathComponent
        let base = (dir as NSString).lastPathComponent
        let temp = (parent.isEmpty ? "." : parent) + "/.\(base).tmp-\(getpid())-\(UUID().uuidString.prefix(8))"
        do {
            try fm.createDirectory(atPath: temp, withIntermediateDirectories: false)
        } catch {
            throw ExportError("cannot create '\(dir)': \(error.localizedDescription)")
        }
        do {
            try weights(temp + "/model.safetensors")
            for (name, bytes) in files { try AtomicFile.write(bytes, to: temp + "/" + name) }
            guard rename(temp, dir) == 0 else { throw ExportError("cannot move the new directory to '\(dir)': \(String(cString: strerror(errno)))") }
        } catch {
            try? fm.removeItem(atPath: temp)
            throw error
        }
    }
}
