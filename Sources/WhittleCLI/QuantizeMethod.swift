import Foundation
import WhittleData
import WhittleFormats
import WhittleKernels
import WhittleNN
import WhittlePasses
import WhittleTensor

/// `whittle quantize --method gptq|awq`: the calibrated methods, each the registered
/// language-model pass `quantize.<method>`, run on the model loaded from IN onto TYPE's block
/// grid; their projections are then written as they are and every other tensor (embeddings,
/// output, norms) gets what llama-quantize's rules give it for TYPE.
struct QuantizeMethod {
    /// The method's name ("gptq").
    let method: String
    /// The calibration text file and how to cut it.
    let calib: String
    let windows: Int
    let ctx: Int
    let seed: Int
    /// Extra pass options, KEY=VALUE (numbers, true/false, else strings).
    let options: [String]

    /// The grids the calibrated methods write (TYPE's default type must be one of them).
    static func grid(for type: LlamaFileType) -> String? {
        let name = type.defaultType.upperName.lowercased()
        return QuantGrids.names.contains(name) ? name : nil
    }

    /// Runs the method's pass on the model in `input` (a GGUF file) and returns its projections
    /// by GGUF name, in TYPE's grid, ready for `GGUFQuantizer.Request.replacements`.
    func run(input: String, type: LlamaFileType, log: @escaping (String) -> Void) throws -> [String: Tensor] {
        guard let grid = Self.grid(for: type) else {
            throw QuantizeFailure(description: "--method \(method) writes one block type: choose TYPE among \(QuantGrids.names.filter { QuantGrids.grid(named: $0)?.storedAs == $0 }.map { $0.uppercased() }.joined(separator: ", ")), got \(type)")
        }
        let passName = "quantize." + method
        let registry = PassRegistry(BuiltinPasses.all())
        guard (try? registry.pass(named: passName)) is LanguageModelPass else {
            let lmPasses = registry.all.compactMap { $0 as? LanguageModelPass }.map(\.name).filter { $0.hasPrefix("quantize.") }.sorted()
            throw QuantizeFailure(description: "--method \(method): this build registers no language-model pass '\(passName)' (quantize methods here: rtn, \(lmPasses.map { $0.dropFirst("quantize.".count) }.joined(separator: ", ")))")
        }
        var raw = try parseOptions()
        raw["format"] = .string(grid)
        guard let data = FileManager.default.contents(atPath: calib), let text = String(data: data, encoding: .utf8), !text.isEmpty else {
            throw QuantizeFailure(description: "--calib: cannot read UTF-8 text from '\(calib)'")
        }
        let lm = try LanguageModelLoader.load(path: input)
        guard let d = lm.decoder else { throw QuantizeFailure(description: "--method \(method) needs a decoder model; \(input) is \(lm.architecture)") }
        guard let tokenizer = lm.tokenizer else { throw QuantizeFailure(description: "\(input) has no tokenizer Whittle can read, so --calib text cannot be tokenized") }
        let ids = try tokenizer.encode(text, addSpecial: false)
        let calibration: TokenWindows
        do { calibration = try TokenWindows(tokens: ids, ctx: ctx, count: windows, seed: UInt64(seed), source: (calib as NSString).lastPathComponent) }
        catch let e as DataError { throw QuantizeFailure(description: "--calib: \(e) (lower --calib-windows or --calib-ctx)") }
        raw["data"] = .windows(calibration)
        log("\(passName): \(windows) windows of \(ctx) tokens from \(calib), grid \(grid)")
        let report = try registry.run(passName, on: lm, options: raw, context: PassContext(log: log))
        log(report.summary.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        var out: [String: Tensor] = [:]
        for (name, p) in LanguageModelPruning.projections(d) {
            out[GGUFTensorNames.gguf(fromHF: name + ".weight", architecture: lm.architecture)] = p.weight.value
        }
        return out
    }

    /// KEY=VALUE pairs as pass values.
    private func parseOptions() throws -> [String: PassValue] {
        var out: [String: PassValue] = [:]
        for spec in options {
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
                throw QuantizeFailure(description: "--method-option: expected KEY=VALUE, got '\(spec)'")
            }
            let key = String(spec[..<eq]), value = String(spec[spec.index(after: eq)...])
            guard !["data", "format"].contains(key) else {
                throw QuantizeFailure(description: "--method-option: '\(key)' is set by the command (use --calib / TYPE)")
            }
            if let i = Int(value) { out[key] = .integer(i) }
            else if let v = Double(value) { out[key] = .number(v) }
            else if value == "true" || value == "false" { out[key] = .bool(value == "true") }
            else { out[key] = .string(value) }
        }
        return out
    }
}
