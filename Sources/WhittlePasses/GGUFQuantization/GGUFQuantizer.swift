import Foundation
import WhittleFormats
import WhittleKernels
import WhittleTensor

/// Quantizes a GGUF model file into another, tensor by tensor from the memory-mapped input,
/// choosing each tensor's type as `llama-quantize` does (`LlamaTensorRules`) and encoding it
/// with ggml's own quantizers (`GGMLCodec`), so the tensors are byte-identical to llama.cpp's.
public enum GGUFQuantizer {
    /// What the user asked for.
    public struct Request {
        public var rules: LlamaTensorRules.Options
        /// Per-column importance (imatrix), by tensor name.
        public var imatrix: ImportanceMatrix?
        /// Allow quantized inputs (dequantized first), as --allow-requantize.
        public var allowRequantize = false
        /// Text stored as `whittle.recipe` in the output (the command or recipe that made it).
        public var recipe: String?
        /// Further `whittle.*` entries (version, source and its hash, the pass and its options).
        public var provenance: [(key: String, value: String)] = []
        /// Tensors already in their final type (by GGUF name, rows in the file's order), written
        /// as they are: the projections a calibrated method (GPTQ, AWQ) made. The rules must pick
        /// the same type for each, else the run is refused before anything is written.
        public var replacements: [String: Tensor] = [:]
        /// The method that made `replacements`, for the per-tensor lines ("gptq").
        public var method: String?
        public init(rules: LlamaTensorRules.Options) { self.rules = rules }
    }

    /// One tensor of the result.
    public struct Line {
        public let name: String
        public let shape: [Int]
        public let from: GGMLType
        public let to: GGMLType
        public let bytesBefore: Int
        public let bytesAfter: Int
        public let fallback: GGMLShapeFallback?
        public let usedImatrix: Bool
        /// The calibrated method that made the tensor, or nil for round-to-nearest.
        public var method: String? = nil

        /// "[3/272] blk.0.attn_q.weight [576 x 576] F32 -> Q5_0  1.27 MiB -> 0.22 MiB  fallback: ...", for the log and the report.
        public func text(index: Int, of total: Int) -> String {
            let dims = shape.map(String.init).joined(separator: " x ")
            var s = String(format: "[%d/%d] %@ [%@] %@ -> %@  %.2f MiB -> %.2f MiB", index, total, name as NSString,
                           dims as NSString, from.upperName as NSString, to.upperName as NSString,
                           Double(bytesBefore) / 1048576, Double(bytesAfter) / 1048576)
            if usedImatrix { s += "  (imatrix)" }
            if let m = method { s += "  (\(m))" }
            if let f = fallback { s += "  fallback: \(f.reason)" }
            return s
        }
    }

    /// The plan and sizes of a run.
    public struct Report: CustomStringConvertible {
        public var lines: [Line] = []
        public var seconds = 0.0
        public var bytesBefore: Int { lines.reduce(0) { $0 + $1.bytesBefore } }
        public var bytesAfter: Int { lines.reduce(0) { $0 + $1.bytesAfter } }
        public var elements: Int { lines.reduce(0) { $0 + $1.shape.reduce(1, *) } }
        public var fallbacks: [Line] { lines.filter { $0.fallback != nil } }
        /// Bits per weight over every tensor.
        public var bitsPerWeight: Double { elements == 0 ? 0 : Double(bytesAfter * 8) / Double(elements) }

        /// One line: sizes before and after, bits per weight, counts, time.
        public var summary: String {
            String(format: "size %.2f MiB -> %.2f MiB (%.3f bits per weight), %d tensors, %d fallbacks, %.1f s",
                   Double(bytesBefore) / 1048576, Double(bytesAfter) / 1048576, bitsPerWeight, lines.count, fallbacks.count, seconds)
        }

        public var description: String {
            var out = lines.enumerated().map { i, l in l.text(index: i + 1, of: lines.count) }
            out.append(summary)
            return out.joined(separator: "\n")
        }
    }

    /// The rules' model facts from a file's metadata.
    public static func modelFacts(_ file: GGUFFile) -> LlamaTensorRules.Model {
        let arch = file.string("general.architecture") ?? ""
        return LlamaTensorRules.Model(arch: arch, layers: file.int("\(arch).block_count") ?? 0,
                                      heads: file.int("\(arch).attention.head_count") ?? 0,
                                      kvHeads: file.int("\(arch).attention.head_count_kv") ?? file.int("\(arch).attention.head_count") ?? 0,
                                      experts: file.int("\(arch).expert_count") ?? 0)
    }

    /// Quantizes `input` into a new GGUF at `output` (written atomically); `log` gets one line per tensor.
    @discardableResult
    public static func quantize(_ input: GGUFFile, to output: String, _ request: Request,
                                log: (String) -> Void = { _ in }) throws -> Report {
        let start = Date()
        let facts = input.tensorInfos.map { TensorFacts(name: $0.name, dims: $0.dims, type: $0.type) }
        let plan = try self.plan(facts, model: modelFacts(input), request)
        var payloads: [GGUFTensorPayload] = []
        var report = Report()
        for info in input.tensorInfos {
            guard let choice = plan[info.name] else { continue }
            let before = input.rawBytes(of: info).count
            if let r = request.replacements[info.name], let type = r.dtype.ggmlLayout {
                payloads.append(try GGUFTensorPayload(name: info.name, tensor: r))
                var line = Line(name: info.name, shape: info.dims, from: info.type, to: type,
                                bytesBefore: before, bytesAfter: r.byteCount, fallback: choice.fallback, usedImatrix: false)
                line.method = request.method
                report.lines.append(line)
            } else if choice.type == info.type {
                payloads.append(try GGUFTensorPayload(name: info.name, from: input))
                report.lines.append(Line(name: info.name, shape: info.dims, from: info.type, to: info.type,
                                         bytesBefore: before, bytesAfter: before, fallback: nil, usedImatrix: false))
            } else {
                let (out, used) = try encode(try input.tensor(named: info.name), as: choice.type, name: info.name, imatrix: request.imatrix)
                payloads.append(try GGUFTensorPayload(name: info.name, tensor: out))
                report.lines.append(Line(name: info.name, shape: info.dims, from: info.type, to: choice.type,
                                         bytesBefore: before, bytesAfter: out.byteCount, fallback: choice.fallback, usedImatrix: used))
            }
            if let last = report.lines.last { log(last.text(index: report.lines.count, of: plan.count)) }
        }
        var meta = input.metadata
        meta["general.quantization_version"] = nil
        meta["general.quantization_version"] = .uint32(2)
        meta["general.file_type"] = nil
        meta["general.file_type"] = .uint32(UInt32(request.rules.fileType.rawValue))
        for k in ["split.no", "split.count", "split.tensors.count"] { meta[k] = nil }
        for (k, v) in request.provenance { meta[k] = .string(v) }
        if let recipe = request.recipe { meta["whittle.recipe"] = .string(recipe) }
        try GGUFWriter.write(metadata: meta, tensors: payloads, to: output)
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// A tensor as the rules see it: name, ggml dimension order (row length first) and type.
    public struct TensorFacts {
        public let name: String
        public let dims: [Int]
        public let type: GGMLType
        public init(name: String, dims: [Int], type: GGMLType) { self.name = name; self.dims = dims; self.type = type }
    }

    /// Every tensor's type under llama.cpp's rules, decided before any work so that an impossible
    /// request (requantizing without leave, an unsupported type, an imatrix of the wrong width) fails first.
    /// `modelTensorNames` (default: the tensors planned) is what the rules count layers and tied outputs from.
    public static func plan(_ tensors: [TensorFacts], model: LlamaTensorRules.Model, _ request: Request,
                            modelTensorNames: [String]? = nil) throws -> [String: LlamaTensorRules.Choice] {
        var rules = LlamaTensorRules(model: model, options: request.rules, tensorNames: modelTensorNames ?? tensors.map(\.name))
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var plan: [String: LlamaTensorRules.Choice] = [:]
        for name in LlamaTensorRules.order(tensors.map(\.name)) {
            guard let info = byName[name] else { continue }
            let c = rules.choose(name: name, dims: info.dims.count, rowLength: info.dims.first ?? 0, current: info.type)
            if let r = request.replacements[name] {
                try checkReplacement(r, info: info, rules: c.type, method: request.method ?? "the method", allowRequantize: request.allowRequantize)
            }
            if c.type != info.type {
                guard info.type.isSupported else { throw GGUFQuantizeError.unsupportedInput(name, info.type) }
                if info.type.blockSize > 1 && !request.allowRequantize {
                    throw GGUFQuantizeError.requantize(name, info.type)
                }
                guard GGMLCodec.canQuantize(c.type) else { throw GGUFQuantizeError.unsupportedTarget(name, c.type) }
            }
            if let im = request.imatrix, let means = im.means(of: name), c.type != info.type,
               GGMLCodec.usesImportance(c.type), means.count != info.dims.first ?? 0, name != "token_embd.weight" {
                throw GGUFQuantizeError.imatrixSize(name, means.count, info.dims.first ?? 0)
            }
            plan[name] = c
        }
        return plan
    }

    /// `src` (any stored type) encoded as `type` with ggml's quantizer, weighted by the imatrix
    /// entry `name` when it has one of the row's width; says whether the imatrix was used.
    public static func encode(_ src: Tensor, as type: GGMLType, name: String, imatrix: ImportanceMatrix?) throws -> (tensor: Tensor, usedImatrix: Bool) {
        let f32 = src.dtype == .f32 ? src : try src.checkedF32()
        let rowLength = src.shape.last ?? 0
        let out = try Tensor(zeros: src.shape, dtype: try dtype(for: type, name: name))
        var weights = imatrix?.means(of: name)
        if weights?.count != rowLength { weights = nil }
        let used = weights != nil && GGMLCodec.usesImportance(type)
        try withOptionalPointer(weights) { w in
            try GGMLCodec.quantize(type, f32.floats, out.storage.bytes, count: src.count, rowLength: rowLength, importance: w)
        }
        return (out, used)
    }

    /// A method's tensor must have the file's shape, the type the rules chose, and an input it may requantize.
    private static func checkReplacement(_ r: Tensor, info: TensorFacts, rules: GGMLType, method: String, allowRequantize: Bool) throws {
        guard r.shape == Array(info.dims.reversed()), let type = r.dtype.ggmlLayout else {
            throw GGUFQuantizeError.replacement(info.name, "\(method) made a \(r.dtype) tensor of shape \(r.shape), the file has \(Array(info.dims.reversed()))")
        }
        guard type == rules else {
            throw GGUFQuantizeError.replacement(info.name, "\(method) wrote \(type.upperName) but the type's rules choose \(rules.upperName) for it (use --pure, or a --tensor-type override that keeps \(type.upperName))")
        }
        if info.type.blockSize > 1 && info.type != type && !allowRequantize { throw GGUFQuantizeError.requantize(info.name, info.type) }
    }

    private static func dtype(for type: GGMLType, name: String) throws -> DType {
        guard let d = DType(ggml: type) else { throw GGUFQuantizeError.unsupportedTarget(name, type) }
        return d
    }

    private static func withOptionalPointer<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        guard let a else { return try body(nil) }
        return try a.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}

/// Why a GGUF quantization was refused (before anything is written).
public enum GGUFQuantizeError: Error, CustomStringConvertible, Equatable {
    case requantize(String, GGMLType)
    case unsupportedInput(String, GGMLType)
    case unsupportedTarget(String, GGMLType)
    case imatrixSize(String, Int, Int)
    case replacement(String, String)

    public var description: String {
        switch self {
        case let .requantize(n, t): return "quantize: tensor '\(n)' is already \(t.upperName); pass --allow-requantize (allow_requantize=true) to dequantize and quantize it again"
        case let .unsupportedInput(n, t): return "quantize: tensor '\(n)' is \(t.upperName), which Whittle cannot decode"
        case let .unsupportedTarget(n, t): return "quantize: tensor '\(n)': Whittle cannot write \(t.upperName)"
        case let .replacement(n, why): return "quantize: tensor '\(n)': \(why)"
        case let .imatrixSize(n, got, want): return "quantize: imatrix for '\(n)' has \(got) columns, the tensor's rows have \(want)"
        }
    }
}
