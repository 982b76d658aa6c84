import Foundation
import WhittleFormats
import WhittleKernels
import WhittleNN
import WhittleTensor

/// `quantize.weights` on language models: llama-quantize's job in memory. Every tensor gets the
/// type llama.cpp's rules give it for a mixture (Q4_K_M, Q8_0, ...; `LlamaTensorRules`, shape
/// fallbacks reported), encoded by ggml's quantizers with an optional importance matrix, so
/// `lm:save("x.gguf")` afterwards writes what `llama-quantize` would.
extension QuantizeWeightsPass: LanguageModelPass {
    public var languageModelParams: [PassParam] {
        [
            PassParam("type", .string, default: .string("Q8_0"), choices: LlamaFileType.names, doc: "llama-quantize's TYPE: a mixture (Q4_K_M, Q5_K_S...) or a plain type (Q4_0, Q8_0, F16...)."),
            PassParam("imatrix", .string, optional: true, doc: "Importance matrix file (llama-imatrix's GGUF or .dat, or im:save's)."),
            PassParam("pure", .bool, default: .bool(false), doc: "The type's default for every tensor: no mixture rules (as --pure)."),
            PassParam("tensor_type", .table, optional: true, doc: "Per-tensor types by regular expression on GGUF names: {[\"ffn_down\"]=\"q8_0\"} (as --tensor-type)."),
            PassParam("output_type", .string, optional: true, doc: "Type of output.weight (as --output-tensor-type)."),
            PassParam("token_embedding_type", .string, optional: true, doc: "Type of token_embd.weight (as --token-embedding-type)."),
            PassParam("allow_requantize", .bool, default: .bool(false), doc: "Accept already-quantized tensors (dequantized first; quality suffers)."),
        ]
    }

    public func apply(to lm: LanguageModel, options o: PassOptions, context: PassContext) throws -> PassReport {
        let d = try decoder(of: lm)
        func fail(_ m: String) -> PassError { .invalidOption(pass: name, message: m) }
        func ggml(_ s: String, _ option: String) throws -> GGMLType {
            guard let t = GGMLType(name: s), GGMLCodec.canQuantize(t) else { throw fail("'\(option)': unknown or unsupported tensor type '\(s)'") }
            return t
        }
        let typeName = o.string("type") ?? "Q8_0"
        guard let fileType = LlamaFileType(name: typeName) else { throw fail("unknown type '\(typeName)'") }
        var rules = LlamaTensorRules.Options(fileType: fileType)
        rules.pure = o.bool("pure") ?? false
        rules.outputType = try o.string("output_type").map { try ggml($0, "output_type") }
        rules.tokenEmbeddingType = try o.string("token_embedding_type").map { try ggml($0, "token_embedding_type") }
        for (pattern, value) in (o.table("tensor_type") ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard case .string(let t) = value else { throw fail("'tensor_type[\"\(pattern)\"]' must be a type name") }
            guard (try? NSRegularExpression(pattern: pattern)) != nil else { throw fail("'tensor_type': '\(pattern)' is not a valid regular expression") }
            rules.overrides.append((pattern, try ggml(t, "tensor_type[\"\(pattern)\"]")))
        }
        var request = GGUFQuantizer.Request(rules: rules)
        request.allowRequantize = o.bool("allow_requantize") ?? false
        if let path = o.string("imatrix") {
            do { request.imatrix = try ImportanceMatrix.load(path) } catch { throw fail("'imatrix': \(error)") }
            request.rules.hasImatrix = true
        }

        // The rules speak GGUF names and ggml dimension order.
        // `targets` (checkpoint-name globs) limits the pass to some tensors; the others keep their type.
        let globs = o.strings("targets")
        let all = lm.module.parameters().map { (gguf: GGUFTensorNames.gguf(fromHF: $0.name, architecture: lm.architecture), hf: $0.name, parameter: $0.parameter) }
        let tensors = all.filter { t in globs.map { $0.contains { Targets.matches($0, t.hf) } } ?? true }
        if let globs, tensors.isEmpty { throw PassError.invalidTarget(pass: name, message: "no tensor matches \(globs.joined(separator: ", "))") }
        let facts = try tensors.map { t -> GGUFQuantizer.TensorFacts in
            guard let type = Self.ggmlType(of: t.parameter.value.dtype) else { throw fail("'\(t.hf)' is stored as \(t.parameter.value.dtype), which GGUF cannot hold") }
            return GGUFQuantizer.TensorFacts(name: t.gguf, dims: t.parameter.value.shape.reversed(), type: type)
        }
        let s = d.spec
        let model = LlamaTensorRules.Model(arch: lm.architecture, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads, experts: 0)
        let plan: [String: LlamaTensorRules.Choice]
        do { plan = try GGUFQuantizer.plan(facts, model: model, request, modelTensorNames: all.map(\.gguf)) } catch let e as GGUFQuantizeError { throw fail(e.description) }

        var report = PassReport(pass: name)
        var before = 0, after = 0, elements = 0
        for (t, f) in zip(tensors, facts) {
            guard let choice = plan[t.gguf] else { continue }
            let old = t.parameter.value
            before += old.byteCount; elements += old.count
            guard choice.type != f.type else { after += old.byteCount; continue }
            let start = Date()
            let (encoded, used) = try GGUFQuantizer.encode(old, as: choice.type, name: t.gguf, imatrix: request.imatrix)
            t.parameter.value = encoded
            after += encoded.byteCount
            var values: [(String, PassValue)] = [("from", .string(f.type.description)), ("type", .string(choice.type.description)),
                                                 ("bpw", .number(Double(encoded.byteCount * 8) / Double(max(1, old.count)))),
                                                 ("imatrix", .bool(used)), ("seconds", .number(Date().timeIntervalSince(start)))]
            if let fb = choice.fallback { values.append(("fallback", .string(fb.reason))) }
            report.rows.append(PassReport.Row(target: t.hf, values: values))
        }
        report.summary = [("type", .string(fileType.description)), ("tensors", .integer(report.rows.count)),
                          ("bytes_before", .integer(before)), ("bytes_after", .integer(after)),
                          ("bpw", .number(elements == 0 ? 0 : Double(after * 8) / Double(elements)))]
        let fallbacks = report.rows.filter { $0.values.contains { $0.0 == "fallback" } }.count
        if fallbacks > 0 { report.summary.append(("fallbacks", .integer(fallbacks))) }
        return report
    }

    /// The ggml type of a stored tensor type, nil for types GGUF has no tensors of.
    static func ggmlType(of d: DType) -> GGMLType? {
        if let g = d.ggmlBlockType { return g }
        switch d {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        default: return nil
        }
    }
}
