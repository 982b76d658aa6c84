import WhittleKernels
import WhittleTensor

/// llama.cpp's GGUF imatrix format (tools/imatrix/imatrix.cpp `save_imatrix`, common/imatrix-loader.cpp).
extension ImportanceMatrix {
    static let sumsSuffix = ".in_sum2"
    static let countsSuffix = ".counts"

    /// Reads the entries of an open GGUF imatrix file, with common_imatrix_load's rules.
    static func fromGGUF(_ f: GGUFFile, path: String) throws -> ImportanceMatrix {
        var pairs: [String: (sums: GGUFTensorInfo?, counts: GGUFTensorInfo?)] = [:]
        for info in f.tensorInfos {
            if info.name.hasSuffix(sumsSuffix) {
                pairs[String(info.name.dropLast(sumsSuffix.count)), default: (nil, nil)].sums = info
            } else if info.name.hasSuffix(countsSuffix) {
                pairs[String(info.name.dropLast(countsSuffix.count)), default: (nil, nil)].counts = info
            }
        }
        guard !f.tensorInfos.isEmpty else { throw IMatrixError.noEntries(path: path) }
        var m = ImportanceMatrix()
        for (name, pair) in pairs {
            guard let s = pair.sums, let c = pair.counts else { throw IMatrixError.mismatchedSumsAndCounts(name) }
            guard s.type == .f32, c.type == .f32 else { throw IMatrixError.notF32(name) }
            let sums = floats(f.rawBytes(of: s))
            let rawCounts = floats(f.rawBytes(of: c))
            guard !rawCounts.isEmpty, sums.count % rawCounts.count == 0 else {
                throw IMatrixError.countsDoNotDivideSums(entry: name, sums: sums.count, counts: rawCounts.count)
            }
            var counts: [Int64] = []
            for v in rawCounts {
                // std::lround, refusing what it cannot represent instead of trapping.
                guard v.isFinite, v >= 0, v < 9.2e18 else { throw IMatrixError.badValue(entry: name, reason: "count \(v) is not a non-negative number") }
                counts.append(Int64(v.rounded(.toNearestOrAwayFromZero)))
            }
            m.entries[name] = Entry(sums: sums, counts: counts)
        }
        if let v = f.metadata["imatrix.datasets"] {
            guard let d = f.metadata.stringArray("imatrix.datasets") else {
                throw IMatrixError.badMetadata(key: "imatrix.datasets", expected: "an array of strings, got \(v.type)")
            }
            m.datasets = d
        }
        m.chunkCount = try u32(f.metadata, "imatrix.chunk_count")
        m.chunkSize = try u32(f.metadata, "imatrix.chunk_size")
        return m
    }

    private static func u32(_ m: GGUFMetadata, _ key: String) throws -> Int {
        guard let v = m[key] else { return 0 }
        guard case .uint32(let x) = v else { throw IMatrixError.badMetadata(key: key, expected: "u32, got \(v.type)") }
        return Int(x)
    }

    private static func floats(_ raw: UnsafeRawBufferPointer) -> [Float] {
        (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }

    /// Metadata and tensors exactly as llama-imatrix writes them: general.type, imatrix.datasets,
    /// imatrix.chunk_count, imatrix.chunk_size; then per entry (sorted by name) `.in_sum2` as
    /// [columns, matrices] and `.counts` as [1, matrices], trailing 1-dimensions dropped as ggml_n_dims does.
    func ggufContent() throws -> (GGUFMetadata, [GGUFTensorPayload]) {
        var meta = GGUFMetadata()
        meta["general.type"] = .string("imatrix")
        meta["imatrix.datasets"] = .array(.string(datasets))
        guard let cc = UInt32(exactly: chunkCount), let cs = UInt32(exactly: chunkSize) else {
            throw IMatrixError.invalidSave("chunk count \(chunkCount) and chunk size \(chunkSize) must fit in u32")
        }
        meta["imatrix.chunk_count"] = .uint32(cc)
        meta["imatrix.chunk_size"] = .uint32(cs)
        var tensors: [GGUFTensorPayload] = []
        for name in names {
            guard let e = entries[name], !e.sums.isEmpty, !e.counts.isEmpty else { continue }
            guard e.sums.count % e.counts.count == 0 else {
                throw IMatrixError.countsDoNotDivideSums(entry: name, sums: e.sums.count, counts: e.counts.count)
            }
            // A legacy entry stores mean × ncall; the GGUF form is raw sums over rows, so scale both by the chunk size.
            let scale = e.isLegacy ? Float(max(chunkSize, 1)) : 1
            let sums = e.isLegacy ? e.sums.map { $0 * scale } : e.sums
            let counts = try e.counts.map { c -> Float in
                guard e.isLegacy else { return Float(c) }
                let (scaled, o) = c.multipliedReportingOverflow(by: Int64(max(chunkSize, 1)))
                guard !o else { throw IMatrixError.invalidSave("entry '\(name)': count \(c) x chunk size \(chunkSize) overflows") }
                return Float(scaled)
            }
            let nmat = e.counts.count
            let sumShape = nmat == 1 ? [e.columns] : [nmat, e.columns]
            let countShape = nmat == 1 ? [1] : [nmat, 1]
            for (suffix, values, shape) in [(Self.sumsSuffix, sums, sumShape), (Self.countsSuffix, counts, countShape)] {
                let tname = name + suffix
                guard tname.utf8.count <= GGUFLimits.maxTensorNameBytes else {
                    throw IMatrixError.invalidSave("tensor name '\(tname)' is longer than \(GGUFLimits.maxTensorNameBytes) bytes")
                }
                tensors.append(try GGUFTensorPayload(name: tname, tensor: try Tensor(shape: shape, values: values)))
            }
        }
        return (meta, tensors)
    }
}
