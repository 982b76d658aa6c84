/// An importance matrix as llama-imatrix collects it: for each weight matrix (by tensor name), the
/// sum over rows of x² per input column of its matmul, and the number of rows summed. The
/// importance llama-quantize uses is the per-column mean, `sums / count` (`means(of:)`).
/// Mixture-of-experts weights hold one block of columns and one count per expert.
public struct ImportanceMatrix: Sendable, Equatable {
    /// One weight matrix's statistics.
    public struct Entry: Sendable, Equatable {
        /// Σx² per input column, matrix after matrix (`counts.count` blocks of `columns`).
        public var sums: [Float]
        /// Rows accumulated per matrix (one per expert; a dense weight has one).
        public var counts: [Int64]
        /// True when read from the legacy `.dat` format, whose sums are mean × ncall with `counts == [ncall]`.
        public var isLegacy: Bool

        /// An entry of `matrices` blocks of `columns` zeros.
        public init(columns: Int, matrices: Int = 1) {
            sums = [Float](repeating: 0, count: max(0, columns) * max(1, matrices))
            counts = [Int64](repeating: 0, count: max(1, matrices))
            isLegacy = false
        }

        /// An entry from stored sums and counts.
        public init(sums: [Float], counts: [Int64], isLegacy: Bool = false) {
            self.sums = sums
            self.counts = counts
            self.isLegacy = isLegacy
        }

        /// Input columns per matrix.
        public var columns: Int { counts.isEmpty ? 0 : sums.count / counts.count }

        /// The per-column importance exactly as llama-quantize normalizes it: sums / count for each
        /// matrix (1 where a matrix saw no rows); legacy entries divide by ncall (or keep the sums when it is 0).
        public var means: [Float] {
            let n = columns
            var out = [Float](repeating: 1, count: sums.count)
            if isLegacy {
                let ncall = counts.first ?? 0
                for i in sums.indices { out[i] = ncall > 0 ? sums[i] / Float(ncall) : sums[i] }
                return out
            }
            for (j, c) in counts.enumerated() where c > 0 {
                let count = Float(c)
                for i in 0..<n { out[j * n + i] = sums[j * n + i] / count }
            }
            return out
        }
    }

    /// Entries by weight name ("blk.0.attn_q.weight"); files store them sorted by name.
    public var entries: [String: Entry]
    /// The calibration datasets (file names) the matrix was computed on.
    public var datasets: [String]
    /// Chunks processed (`imatrix.chunk_count`).
    public var chunkCount: Int
    /// Tokens per chunk (`imatrix.chunk_size`; 0 when unknown, as in legacy files).
    public var chunkSize: Int

    /// An empty matrix.
    public init(entries: [String: Entry] = [:], datasets: [String] = [], chunkCount: Int = 0, chunkSize: Int = 0) {
        self.entries = entries
        self.datasets = datasets
        self.chunkCount = chunkCount
        self.chunkSize = chunkSize
    }

    /// Entry names in the order files store them (bytewise, as std::sort orders std::string).
    public var names: [String] { entries.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }

    /// The per-column importance of `name` (see `Entry.means`).
    public func means(of name: String) -> [Float]? { entries[name]?.means }

    /// Adds `rows` rows of activations (row-major, `columns` each) feeding weight `name`: Σx² per column
    /// and the row count, as llama-imatrix's collector does for a dense matmul.
    public mutating func accumulate(_ name: String, activations: UnsafeBufferPointer<Float>, columns: Int) throws {
        guard columns > 0, activations.count % columns == 0 else {
            throw IMatrixError.badValue(entry: name, reason: "\(activations.count) activations are not rows of \(columns) columns")
        }
        var e = entries[name] ?? Entry(columns: columns)
        guard e.columns == columns, e.counts.count == 1, !e.isLegacy else {
            throw IMatrixError.badValue(entry: name, reason: "has \(e.columns) columns in \(e.counts.count) matrices, got rows of \(columns)")
        }
        let rows = activations.count / columns
        e.sums.withUnsafeMutableBufferPointer { acc in
            for r in 0..<rows {
                for j in 0..<columns {
                    let x = activations[r * columns + j]
                    acc[j] += x * x
                }
            }
        }
        e.counts[0] += Int64(rows)
        entries[name] = e
    }

    /// Reads llama.cpp's GGUF imatrix format, or the legacy `.dat` format when the file does not start with "GGUF".
    public static func load(_ path: String) throws -> ImportanceMatrix {
        let map = try MappedFile(path: path)
        if map.count >= 4, Array(map.buffer.prefix(4)) == GGUFHeader.magic {
            return try fromGGUF(try GGUFFile.open(path), path: path)
        }
        return try parseLegacy(map.buffer, path: path)
    }

    /// The file formats `save` writes.
    public enum Format: String, Sendable {
        /// llama-imatrix's default since 2025: `<name>.in_sum2` and `<name>.counts` tensors plus `imatrix.*` metadata.
        case gguf
        /// The legacy `.dat` format (`--output-format dat`).
        case dat
    }

    /// Writes atomically in `format` (by default GGUF, or `.dat` when the path ends in ".dat").
    public func save(_ path: String, format: Format? = nil) throws {
        switch format ?? (path.hasSuffix(".dat") ? .dat : .gguf) {
        case .gguf:
            let (metadata, tensors) = try ggufContent()
            try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path)
        case .dat:
            try AtomicFile.write(try legacyBytes(), to: path)
        }
    }
}
