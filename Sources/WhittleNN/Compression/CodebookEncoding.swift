import WhittleTensor

/// Packs unsigned codes of a fixed bit width (1...16) LSB-first into bytes, as Deep
/// Compression stores codebook indices and relative positions.
public enum BitPacking {
    /// `codes` packed at `bits` per code; a code that does not fit is an error.
    public static func pack(_ codes: [UInt32], bits: Int) throws -> [UInt8] {
        guard (1...16).contains(bits) else { throw NNError.invalidArgument("bit packing: width must be in 1...16, got \(bits)") }
        var out = [UInt8](repeating: 0, count: (codes.count * bits + 7) / 8)
        var bit = 0
        for c in codes {
            guard c >> bits == 0 else { throw NNError.invalidArgument("bit packing: code \(c) does not fit in \(bits) bits") }
            for b in 0..<bits where (c >> b) & 1 == 1 { out[(bit + b) >> 3] |= UInt8(1 << ((bit + b) & 7)) }
            bit += bits
        }
        return out
    }

    /// The first `count` codes of width `bits` from `bytes`; too few bytes is an error.
    public static func unpack(_ bytes: [UInt8], bits: Int, count: Int) throws -> [UInt32] {
        guard (1...16).contains(bits) else { throw NNError.invalidArgument("bit packing: width must be in 1...16, got \(bits)") }
        guard count >= 0, count <= bytes.count * 8 / bits else {
            throw NNError.invalidModel("bit packing: \(bytes.count) bytes cannot hold \(count) codes of \(bits) bits")
        }
        var out = [UInt32](repeating: 0, count: count)
        var bit = 0
        for i in 0..<count {
            var c: UInt32 = 0
            for b in 0..<bits where bytes[(bit + b) >> 3] >> ((bit + b) & 7) & 1 == 1 { c |= 1 << b }
            out[i] = c
            bit += bits
        }
        return out
    }
}

/// A weight stored as a codebook of f32 centroids plus packed per-entry indices (Deep
/// Compression's weight sharing). Two layouts: dense (one index per element; a pruned
/// zero gets its own code) or sparse (only the kept entries, each with its relative
/// position packed in `gapBits`; a gap too long for `gapBits` costs a filler entry).
public final class CodebookEncoding: ParameterEncoding {
    /// Format id written in the file's compression metadata.
    public static let formatID = "codebook"
    public var format: String { CodebookEncoding.formatID }

    /// Shape of the decoded tensor.
    public let shape: [Int]
    /// Centroid values; index i decodes to `codebook[i]`.
    public let codebook: [Float]
    /// Bits per codebook index.
    public let indexBits: Int
    /// Bits per relative position; 0 means the dense layout.
    public let gapBits: Int
    /// Stored entries (dense: every element; sparse: kept entries plus fillers).
    public let entries: Int
    /// Packed codebook indices, `entries` of `indexBits`.
    public let indexBytes: [UInt8]
    /// Packed relative positions, `entries` of `gapBits` (empty when dense).
    public let gapBytes: [UInt8]

    /// Builds the smaller layout for `assignments` (one per element: a codebook index, or -1 for a pruned zero).
    public static func encode(shape: [Int], codebook: [Float], assignments: [Int32]) throws -> CodebookEncoding {
        let n = try Tensor.checkedCount(shape)
        guard assignments.count == n else { throw NNError.invalidArgument("codebook: \(assignments.count) assignments for \(n) elements") }
        guard !codebook.isEmpty, codebook.count <= 1 << 16 else { throw NNError.invalidArgument("codebook: needs 1...65536 centroids, got \(codebook.count)") }
        if assignments.contains(where: { $0 < -1 || Int($0) >= codebook.count }) {
            throw NNError.invalidArgument("codebook: an assignment is outside -1..<\(codebook.count)")
        }
        let kept = assignments.filter { $0 >= 0 }.count
        let hasZeros = kept < n
        // Dense: pruned zeros need a code of their own, appended to the codebook.
        let denseBook = hasZeros ? codebook + [0] : codebook
        let denseBits = bitWidth(denseBook.count)
        var best = (bytes: (n * denseBits + 7) / 8 + 4 * denseBook.count, gapBits: 0)
        if hasZeros {
            let idxBits = bitWidth(codebook.count)
            for g in 1...12 {
                let e = sparseEntries(assignments, gapBits: g)
                let bytes = (e * idxBits + 7) / 8 + (e * g + 7) / 8 + 4 * codebook.count
                if bytes < best.bytes { best = (bytes, g) }
            }
        }
        if best.gapBits == 0 {
            let zeroCode = UInt32(codebook.count)
            let codes = assignments.map { $0 < 0 ? zeroCode : UInt32($0) }
            return try CodebookEncoding(shape: shape, codebook: denseBook, indexBits: denseBits, gapBits: 0, entries: n,
                                    indexBytes: try BitPacking.pack(codes, bits: denseBits), gapBytes: [])
        }
        let g = best.gapBits, filler = UInt32((1 << g) - 1)
        var idx: [UInt32] = [], gaps: [UInt32] = []
        var last = -1
        for (i, a) in assignments.enumerated() where a >= 0 {
            var d = i - last
            while d > Int(filler) { idx.append(0); gaps.append(filler); d -= Int(filler) }
            idx.append(UInt32(a)); gaps.append(UInt32(d - 1))
            last = i
        }
        let ib = bitWidth(codebook.count)
        return try CodebookEncoding(shape: shape, codebook: codebook, indexBits: ib, gapBits: g, entries: idx.count,
                                indexBytes: try BitPacking.pack(idx, bits: ib), gapBytes: try BitPacking.pack(gaps, bits: g))
    }

    /// Rebuilds an encoding from stored parts, checking that they are consistent.
    public init(shape: [Int], codebook: [Float], indexBits: Int, gapBits: Int, entries: Int, indexBytes: [UInt8], gapBytes: [UInt8]) throws {
        let n = try Tensor.checkedCount(shape)
        guard (1...16).contains(indexBits), (0...16).contains(gapBits) else {
            throw NNError.invalidModel("codebook: index bits \(indexBits) / gap bits \(gapBits) out of range")
        }
        guard !codebook.isEmpty, codebook.count <= 1 << indexBits else {
            throw NNError.invalidModel("codebook: \(codebook.count) centroids do not fit \(indexBits)-bit indices")
        }
        guard entries >= 0, gapBits > 0 || entries == n, indexBytes.count == (entries * indexBits + 7) / 8,
              gapBytes.count == (gapBits == 0 ? 0 : (entries * gapBits + 7) / 8) else {
            throw NNError.invalidModel("codebook: \(entries) entries do not match \(indexBytes.count) index bytes and \(gapBytes.count) position bytes for \(n) elements")
        }
        self.shape = shape
        self.codebook = codebook
        self.indexBits = indexBits
        self.gapBits = gapBits
        self.entries = entries
        self.indexBytes = indexBytes
        self.gapBytes = gapBytes
    }

    /// Bytes really needed: packed indices, packed positions and the f32 codebook.
    public var byteCount: Int { indexBytes.count + gapBytes.count + 4 * codebook.count }

    /// "codebook" (f32 centroids), "idx" (u8 packed indices) and, when sparse, "pos" (u8 packed positions).
    public func storedTensors() -> [(suffix: String, tensor: Tensor)] {
        var out: [(suffix: String, tensor: Tensor)] = [("codebook", floatTensor(codebook)), ("idx", byteTensor(indexBytes))]
        if gapBits > 0 { out.append(("pos", byteTensor(gapBytes))) }
        return out
    }

    public var fields: [String: Any] { ["index_bits": indexBits, "gap_bits": gapBits, "entries": entries] }

    /// Rebuilds an encoding from a file entry written by `storedTensors` and `fields`.
    public static func decode(_ e: EncodedEntry) throws -> CodebookEncoding {
        let ib = try e.int("index_bits"), gb = try e.int("gap_bits"), entries = try e.int("entries")
        guard (1...16).contains(ib), (0...16).contains(gb), entries >= 0, entries <= 1 << 40 else {
            throw e.invalid("index_bits \(ib), gap_bits \(gb) or entries \(entries) out of range")
        }
        let book = try e.tensor("codebook")
        guard book.dtype == .f32, book.rank == 1 else { throw e.invalid("tensor 'codebook' must be 1-D f32") }
        let idx = try e.tensor("idx", .u8, [(entries * ib + 7) / 8])
        let pos = gb == 0 ? nil : try e.tensor("pos", .u8, [(entries * gb + 7) / 8])
        do {
            return try CodebookEncoding(shape: e.shape, codebook: book.toArray(), indexBits: ib, gapBits: gb, entries: entries,
                                        indexBytes: bytes(of: idx), gapBytes: pos.map(bytes) ?? [])
        } catch let NNError.invalidModel(m) { throw e.invalid(m) }
    }

    /// The codebook indices of the stored entries (fillers included), for entropy coding.
    public func indexCodes() throws -> [UInt32] { try BitPacking.unpack(indexBytes, bits: indexBits, count: entries) }

    /// The relative positions of the stored entries (empty when dense).
    public func gapCodes() throws -> [UInt32] { gapBits == 0 ? [] : try BitPacking.unpack(gapBytes, bits: gapBits, count: entries) }

    /// The dense f32 tensor; an index or position pointing outside is an error.
    public func decode() throws -> Tensor {
        let out = try Tensor(zeros: shape)
        let p = out.floats, n = out.count
        let idx = try indexCodes()
        if gapBits == 0 {
            for (i, c) in idx.enumerated() {
                guard Int(c) < codebook.count else { throw NNError.invalidModel("codebook: index \(c) outside the \(codebook.count)-entry codebook") }
                p[i] = codebook[Int(c)]
            }
            return out
        }
        let gaps = try gapCodes(), filler = UInt32((1 << gapBits) - 1)
        var pos = -1
        for e in 0..<entries {
            if gaps[e] == filler { pos += Int(filler); continue }
            pos += Int(gaps[e]) + 1
            guard pos < n, Int(idx[e]) < codebook.count else {
                throw NNError.invalidModel("codebook: entry \(e) points outside the tensor or the codebook")
            }
            p[pos] = codebook[Int(idx[e])]
        }
        return out
    }

    /// Bits needed to tell `k` codes apart (at least 1).
    public static func bitWidth(_ k: Int) -> Int {
        var b = 1
        while (1 << b) < k { b += 1 }
        return b
    }

    /// Entries the sparse layout stores with `gapBits`-bit positions (kept entries plus fillers).
    static func sparseEntries(_ a: [Int32], gapBits: Int) -> Int {
        let filler = (1 << gapBits) - 1
        var last = -1, e = 0
        for (i, x) in a.enumerated() where x >= 0 {
            e += 1 + (i - last - 1) / filler
            last = i
        }
        return e
    }
}

private func floatTensor(_ v: [Float]) -> Tensor {
    // A 1-D shape of a valid array's count always fits.
    (try? Tensor(shape: [v.count], values: v)) ?? Tensor(scalar: 0)
}

private func byteTensor(_ b: [UInt8]) -> Tensor {
    guard let t = try? Tensor(zeros: [b.count], dtype: .u8) else { return Tensor(scalar: 0) }
    b.withUnsafeBytes { src in if let base = src.baseAddress { t.storage.bytes.copyMemory(from: base, byteCount: b.count) } }
    return t
}

private func bytes(of t: Tensor) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: t.storage.bytes, count: t.byteCount))
}
