import Foundation
import WhittleNN

/// What a compressed model really costs, per layer and in total, against a baseline:
/// parameters, non-zeros, bytes the stored encodings occupy, bits per weight, compression
/// ratio, the size Huffman coding would reach, and accuracy.
public struct CompressionReport: CustomStringConvertible {
    /// One layer's figures (or the total's).
    public struct Row {
        /// Layer path ("0"), or "total".
        public let layer: String
        /// Layer description ("linear(784 -> 300)") and its parameters' storage formats.
        public let kind: String
        public let formats: String
        public let parameters: Int
        public let nonzeros: Int
        /// Bytes the parameters occupy as stored (encoded form, or 4 per f32); a tied tensor counts once.
        public let bytes: Int
        /// Bytes after Huffman-coding the codebook indices and positions (code tables included).
        public let huffmanBytes: Int
        /// The baseline's f32 bytes for this layer (4 per parameter).
        public let baselineBytes: Int

        /// Stored bits per parameter.
        public var bitsPerWeight: Double { parameters == 0 ? 0 : Double(bytes * 8) / Double(parameters) }
        /// Baseline bytes / stored bytes.
        public var ratio: Double { bytes == 0 ? 0 : Double(baselineBytes) / Double(bytes) }
        /// Baseline bytes / Huffman-coded bytes.
        public var huffmanRatio: Double { huffmanBytes == 0 ? 0 : Double(baselineBytes) / Double(huffmanBytes) }
        /// Fraction of zero parameters.
        public var sparsity: Double { parameters == 0 ? 0 : 1 - Double(nonzeros) / Double(parameters) }
    }

    public let rows: [Row]
    public let total: Row
    /// Accuracy of the model and of the baseline on the data, when given.
    public let accuracy: Double?
    public let baselineAccuracy: Double?
    /// Test errors of the model and of the baseline, when data was given.
    public let errors: Int?
    public let baselineErrors: Int?

    /// Measures `model` (and `baseline` and accuracy when given).
    public static func measure(_ model: Model, baseline: Model? = nil, data: BatchSource? = nil) throws -> CompressionReport {
        var seen = Set<ObjectIdentifier>()
        let baseLayers = Dictionary((baseline?.layers() ?? []).map { ($0.path, $0.module) }, uniquingKeysWith: { a, _ in a })
        var rows: [Row] = []
        for (path, module) in model.layers() {
            let params = module.parameters()
            guard !params.isEmpty else { continue }
            var n = 0, nz = 0, bytes = 0, huff = 0
            var formats: [String] = []
            for (_, p) in params {
                n += p.count
                for i in 0..<p.count where p.value.floats[i] != 0 { nz += 1 }
                // A tied tensor is stored once: the later layers using it cost nothing more.
                guard seen.insert(ObjectIdentifier(p)).inserted else { formats.append("tied"); continue }
                let stored = p.encoding?.byteCount ?? 4 * p.count
                bytes += stored
                // A coder would keep the fixed-width form when the code tables cost more than they save.
                huff += min(stored, try huffmanBytes(p) ?? stored)
                formats.append(p.encoding?.format ?? "f32")
            }
            let base = baseline == nil ? 4 * n : 4 * (baseLayers[path]?.parameters().reduce(0) { $0 + $1.parameter.count } ?? 0)
            rows.append(Row(layer: path, kind: String(describing: module), formats: unique(formats).joined(separator: ","), parameters: n, nonzeros: nz,
                            bytes: bytes, huffmanBytes: huff, baselineBytes: base))
        }
        let baseTotal = baseline.map { 4 * $0.parameters().reduce(0) { $0 + $1.parameter.count } } ?? rows.reduce(0) { $0 + $1.baselineBytes }
        let total = Row(layer: "total", kind: "", formats: "", parameters: rows.reduce(0) { $0 + $1.parameters },
                        nonzeros: rows.reduce(0) { $0 + $1.nonzeros }, bytes: rows.reduce(0) { $0 + $1.bytes },
                        huffmanBytes: rows.reduce(0) { $0 + $1.huffmanBytes }, baselineBytes: baseTotal)
        let eval = try data.map { try evaluate(model, $0) }
        let baseEval = try data.flatMap { d in try baseline.map { try evaluate($0, d) } }
        return CompressionReport(rows: rows, total: total, accuracy: eval?.accuracy, baselineAccuracy: baseEval?.accuracy,
                                 errors: eval?.errors, baselineErrors: baseEval?.errors)
    }

    /// Huffman-coded size of a codebook-encoded parameter: coded index and position streams,
    /// the f32 codebook, and one byte per symbol for each canonical code table (its code lengths).
    static func huffmanBytes(_ p: Parameter) throws -> Int? {
        guard let c = p.encoding as? CodebookEncoding else { return nil }
        let idx = try c.indexCodes(), gaps = try c.gapCodes()
        var bits = Huffman.encodedBits(Huffman.frequencies(idx, alphabet: 1 << c.indexBits))
        var table = 1 << c.indexBits
        if c.gapBits > 0 {
            bits += Huffman.encodedBits(Huffman.frequencies(gaps, alphabet: 1 << c.gapBits))
            table += 1 << c.gapBits
        }
        return (bits + 7) / 8 + 4 * c.codebook.count + table
    }

    public var description: String {
        var table = [["layer", "type", "format", "params", "nonzero", "bits/w", "bytes", "ratio", "huffman", "ratio(h)"]]
        for r in rows + [total] {
            table.append([r.layer, r.kind, r.formats, String(r.parameters), String(r.nonzeros), String(format: "%.2f", r.bitsPerWeight),
                          String(r.bytes), String(format: "%.1fx", r.ratio), String(r.huffmanBytes), String(format: "%.1fx", r.huffmanRatio)])
        }
        let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max() ?? 0 }
        var lines = table.map { row in
            row.enumerated().map { c, s in
                let fill = String(repeating: " ", count: widths[c] - s.count)
                return c < 3 ? s + fill : fill + s
            }.joined(separator: "  ")
        }
        lines.insert(String(repeating: "-", count: lines[0].count), at: 1)
        lines.insert(String(repeating: "-", count: lines[0].count), at: lines.count - 1)
        lines.append(String(format: "size: %d -> %d bytes (%.1fx), %d with Huffman coding (%.1fx)",
                            total.baselineBytes, total.bytes, total.ratio, total.huffmanBytes, total.huffmanRatio))
        if let a = accuracy {
            if let b = baselineAccuracy, let e = errors, let be = baselineErrors {
                lines.append(String(format: "accuracy: %.2f%% -> %.2f%% (%+.2f points); errors %d -> %d", b * 100, a * 100, (a - b) * 100, be, e))
            } else {
                lines.append(String(format: "accuracy: %.2f%%%@", a * 100, errors.map { "; errors \($0)" } ?? ""))
            }
        }
        return lines.joined(separator: "\n")
    }
}

private func unique(_ a: [String]) -> [String] {
    var seen = Set<String>()
    return a.filter { seen.insert($0).inserted }
}
