import WhittleData
import WhittleNN

/// A pass over a transformer language model (`w.lm.load`), usually calibrated block by
/// block on token windows (`data`). It is a `Pass` too, so `whittle passes` lists it and
/// pipelines chain it; a pass that only makes sense on language models refuses layer
/// models in `apply(to: Model)` with `PassError.languageModelOnly`.
///
/// Contract: a pass replaces `Parameter.value` with new tensors and never writes into a
/// tensor it did not create (weights may borrow a read-only mapped file), so the registry
/// can restore a failed run by putting the old tensors back.
public protocol LanguageModelPass: Pass {
    /// Option schema on language models (the layer-model schema is `params`).
    var languageModelParams: [PassParam] { get }
    /// Applies the pass; `options` are validated against `languageModelParams`.
    func apply(to lm: LanguageModel, options: PassOptions, context: PassContext) throws -> PassReport
    /// True when the pass refuses layer models (its `params` are then its language-model schema).
    var languageModelOnly: Bool { get }
}

extension LanguageModelPass {
    public var languageModelOnly: Bool { false }

    /// The decoder under `lm`, or an error naming the pass and the architecture.
    public func decoder(of lm: LanguageModel) throws -> DecoderModel {
        guard let d = lm.decoder else {
            throw PassError.invalidOption(pass: name, message: "needs a decoder language model; '\(lm.architecture)' is an encoder")
        }
        return d
    }

    /// The calibration windows in option `data`, or an error saying how to make them.
    public func calibration(_ o: PassOptions) throws -> TokenWindows {
        guard let w = o.windows("data") else {
            throw PassError.invalidOption(pass: name, message: "missing calibration data: pass data = whittle.data.text(path_or_string):windows(lm.tokenizer, {ctx=512, count=128})")
        }
        return w
    }

    /// The quantization grid option `format` names (default q4_0), or an error naming it.
    public func grid(_ o: PassOptions) throws -> QuantGrid {
        let format = o.string("format") ?? "q4_0"
        guard let grid = QuantGrids.grid(named: format) else { throw PassError.invalidOption(pass: name, message: "unknown format '\(format)'") }
        return grid
    }
}

/// The calibration option every calibrated language-model pass takes.
public let calibrationParam = PassParam("data", .windows, optional: true,
                                        doc: "Calibration token windows: whittle.data.text(path_or_string):windows(lm.tokenizer, {ctx=, count=, seed=}).")

extension PassRegistry {
    /// Validates `options` against the pass's language-model schema, runs it on `lm`, and
    /// on failure puts every parameter back as it was.
    public func run(_ name: String, on lm: LanguageModel, options raw: [String: PassValue],
                    context: PassContext = PassContext()) throws -> PassReport {
        guard let pass = try pass(named: name) as? LanguageModelPass else {
            let lmPasses = all.compactMap { $0 as? LanguageModelPass }.map(\.name).sorted()
            throw PassError.invalidOption(pass: name, message: "works on layer models, not language models (passes for language models: \(lmPasses.joined(separator: ", ")))")
        }
        let options = try OptionValidator.validate(raw, params: pass.languageModelParams, pass: name)
        let snapshot = lm.module.parameters().map { ($0.parameter, $0.parameter.value) }
        do {
            let report = try pass.apply(to: lm, options: options, context: context)
            lm.provenance.record(pass: name, options: options)
            return report
        } catch {
            for (p, v) in snapshot { p.value = v }
            if error is PassError { throw error }
            throw PassError.failed(pass: name, message: String(describing: error))
        }
    }
}
