import ArgumentParser
import Foundation
import WhittleFormats
import WhittleKernels
import WhittleLua
import WhittleNN
import WhittlePasses
import WhittleTensor

/// `whittle quantize IN OUT TYPE`: llama-quantize's job, with its options and its per-tensor rules.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a GGUF model to a llama.cpp type or mixture (Q4_0, Q8_0, Q4_K_M, ...), as llama-quantize does.",
        discussion: """
        Each tensor gets the type llama.cpp's rules choose for the mixture (token embeddings and
        output in Q6_K/Q8_0, more bits for some attn_v/ffn_down layers in *_M mixtures), encoded
        byte-identically to ggml's quantizers. A tensor whose rows do not fit the type's block falls
        back to the type llama.cpp would use; each fallback is printed with its reason.
        Types: \(LlamaFileType.names.joined(separator: ", ")).
        Examples:
          whittle quantize model-f32.gguf model-q4_0.gguf Q4_0
          whittle quantize model-f32.gguf model-q4_k_m.gguf Q4_K_M --imatrix imatrix.gguf
          whittle quantize model.gguf out.gguf Q8_0 --pure --tensor-type 'ffn_down=q6_k'
          whittle quantize model-f32.gguf model-gptq.gguf Q4_0 --method gptq --calib wiki.txt --method-option act_order=true
        --method gptq (or awq, once registered) runs the language-model pass quantize.<method> on
        windows of the --calib text: every attention and MLP projection lands in TYPE's blocks
        (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL); the other tensors follow llama-quantize's rules.
        """
    )

    @Argument(help: ArgumentHelp("Input GGUF model.", valueName: "IN"))
    var input: String
    @Argument(help: ArgumentHelp("Output GGUF path (written atomically).", valueName: "OUT"))
    var output: String
    @Argument(help: ArgumentHelp("Type or mixture, e.g. Q4_0, Q8_0, Q4_K_M, Q6_K, F16.", valueName: "TYPE"))
    var type: String

    @Option(help: ArgumentHelp("Importance matrix (llama-imatrix's GGUF or legacy .dat format).", valueName: "FILE"))
    var imatrix: String?
    @Flag(help: "Every quantizable tensor in TYPE's default type: no mixture rules (shape fallbacks still apply).")
    var pure = false
    @Option(name: .customLong("tensor-type"), help: ArgumentHelp("Override by regular expression on tensor names, first match wins (repeatable).", valueName: "REGEX=TYPE"))
    var tensorTypes: [String] = []
    @Option(name: .customLong("output-tensor-type"), help: ArgumentHelp("Type of output.weight.", valueName: "TYPE"))
    var outputTensorType: String?
    @Option(name: .customLong("token-embedding-type"), help: ArgumentHelp("Type of token_embd.weight.", valueName: "TYPE"))
    var tokenEmbeddingType: String?
    @Flag(name: .customLong("leave-output-tensor"), help: "Keep output.weight in its input type.")
    var leaveOutputTensor = false
    @Flag(name: .customLong("allow-requantize"), help: "Accept quantized input tensors (dequantized first; quality suffers).")
    var allowRequantize = false
    @Option(help: ArgumentHelp("rtn (round to nearest, as llama-quantize), or a calibrated method run as the pass quantize.<method>: gptq, awq.", valueName: "METHOD"))
    var method = "rtn"
    @Option(help: ArgumentHelp("Calibration text for --method gptq/awq.", valueName: "FILE"))
    var calib: String?
    @Option(name: .customLong("calib-windows"), help: ArgumentHelp("Calibration windows drawn from --calib.", valueName: "N"))
    var calibWindows = 128
    @Option(name: .customLong("calib-ctx"), help: ArgumentHelp("Tokens per calibration window.", valueName: "N"))
    var calibCtx = 512
    @Option(name: .customLong("calib-seed"), help: ArgumentHelp("Seed of the windows' offsets.", valueName: "N"))
    var calibSeed = 1
    @Option(name: .customLong("method-option"), help: ArgumentHelp("An option of the method's pass, e.g. act_order=true (repeatable).", valueName: "KEY=VALUE"))
    var methodOptions: [String] = []

    func run() throws {
        do {
            guard let ft = LlamaFileType(name: type) else {
                throw QuantizeFailure(description: "unknown type '\(type)'; choose one of \(LlamaFileType.names.joined(separator: ", "))")
            }
            var rules = LlamaTensorRules.Options(fileType: ft)
            rules.pure = pure
            rules.quantizeOutput = !leaveOutputTensor
            rules.outputType = try outputTensorType.map(ggmlType)
            rules.tokenEmbeddingType = try tokenEmbeddingType.map(ggmlType)
            for spec in tensorTypes {
                guard let eq = spec.lastIndex(of: "="), eq != spec.startIndex else {
                    throw QuantizeFailure(description: "--tensor-type: expected REGEX=TYPE, got '\(spec)'")
                }
                let pattern = String(spec[..<eq])
                guard (try? NSRegularExpression(pattern: pattern)) != nil else {
                    throw QuantizeFailure(description: "--tensor-type: '\(pattern)' is not a valid regular expression")
                }
                rules.overrides.append((pattern, try ggmlType(String(spec[spec.index(after: eq)...]))))
            }
            var request = GGUFQuantizer.Request(rules: rules)
            request.allowRequantize = allowRequantize
            if let imatrix {
                request.imatrix = try ImportanceMatrix.load(imatrix)
                request.rules.hasImatrix = true
            }
            request.recipe = (["whittle", "quantize"] + CommandLine.arguments.dropFirst(2)).joined(separator: " ")
            // A Hugging Face directory is written once as a GGUF in its stored types (f32/f16/bf16, llama.cpp's
            // names and tokenizer keys) beside the output, then quantized like any GGUF file.
            var source = input, sourceFiles = [input]
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue {
                let lm = try LanguageModelLoader.load(path: input)
                source = (output as NSString).deletingLastPathComponent + "/.whittle-hf-\(getpid()).gguf"
                if (output as NSString).deletingLastPathComponent.isEmpty { source = ".whittle-hf-\(getpid()).gguf" }
                FileHandle.standardError.write(Data("whittle: \(input) is a Hugging Face directory: converting it to GGUF first\n".utf8))
                try GGUFExport.save(lm, to: source, provenance: [])
                sourceFiles = ((try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted().map { input + "/" + $0 }
            }
            defer { if source != input { try? FileManager.default.removeItem(atPath: source) } }
            var provenance = Provenance(source: (input as NSString).lastPathComponent, files: sourceFiles)
            var options: [(key: String, value: JSONValue)] = [("type", .string(type)), ("pure", .bool(pure)), ("allow_requantize", .bool(allowRequantize))]
            if let imatrix { options.append(("imatrix", .string(imatrix))) }
            if !tensorTypes.isEmpty { options.append(("tensor_type", .array(tensorTypes.map { .string($0) }))) }
            provenance.record(pass: "quantize", options: options)
            request.provenance = provenance.metadata(version: whittleVersion).filter { $0.key != Provenance.recipeKey }

            let file = try GGUFFile.open(source)
            if method != "rtn" {
                // Refuse before minutes of calibration what the writer would refuse afterwards.
                if !allowRequantize, let q = file.tensorInfos.first(where: { $0.type.blockSize > 1 }) {
                    throw GGUFQuantizeError.requantize(q.name, q.type)
                }
                guard let calib else { throw QuantizeFailure(description: "--method \(method) needs calibration text: --calib FILE") }
                guard calibWindows > 0, calibCtx > 0, calibSeed >= 0 else {
                    throw QuantizeFailure(description: "--calib-windows and --calib-ctx must be positive, --calib-seed not negative")
                }
                let m = QuantizeMethod(method: method, calib: calib, windows: calibWindows, ctx: calibCtx, seed: calibSeed, options: methodOptions)
                request.replacements = try m.run(input: source, type: ft) { line in
                    FileHandle.standardError.write(Data(("whittle: " + line + "\n").utf8))
                }
                request.method = method
            } else if calib != nil || !methodOptions.isEmpty {
                throw QuantizeFailure(description: "--calib and --method-option need a calibrated --method (gptq, awq)")
            }
            let report = try GGUFQuantizer.quantize(file, to: output, request) { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            // Per-tensor lines went to stderr as they were written; the fallbacks and totals go to stdout.
            for l in report.fallbacks { print("fallback: \(l.name): \(l.fallback?.reason ?? "")") }
            print(report.summary)
        } catch let e as QuantizeFailure {
            throw e
        } catch {
            throw QuantizeFailure(description: "\(error)")
        }
    }

    private func ggmlType(_ name: String) throws -> GGMLType {
        guard let t = GGMLType(name: name), GGMLCodec.canQuantize(t) else {
            throw QuantizeFailure(description: "unknown or unsupported tensor type '\(name)'")
        }
        return t
    }
}

/// Why `whittle quantize` failed (printed by ArgumentParser; exit code 1).
struct QuantizeFailure: Error, CustomStringConvertible {
    let description: String
}
