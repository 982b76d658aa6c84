/// The legacy `.dat` imatrix format (llama-imatrix `--output-format dat`): i32 entry count; per entry
/// i32 name length, name, i32 ncall, i32 value count, f32 values (mean × ncall); then, optionally,
/// i32 chunk count, i32 dataset-name length and the dataset name.
extension ImportanceMatrix {
    static func parseLegacy(_ b: UnsafeRawBufferPointer, path: String) throws -> ImportanceMatrix {
        var at = 0
        func i32(_ entry: Int) throws -> Int32 {
            guard at + 4 <= b.count else { throw IMatrixError.truncatedLegacy(entry: entry) }
            defer { at += 4 }
            return Int32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: Int32.self))
        }
        guard b.count >= 4 else { throw IMatrixError.noEntries(path: path) }
        let n = try i32(0)
        guard n >= 1 else { throw IMatrixError.noEntries(path: path) }
        var m = ImportanceMatrix()
        for i in 0..<Int(n) {
            let len = Int(try i32(i))
            guard len >= 0, len <= b.count - at else { throw IMatrixError.badLegacyEntry(entry: i, reason: "name length \(len) runs past the file") }
            // llama.cpp reads the name as a C string: it ends at the first NUL.
            let raw = b[at..<(at + len)].prefix { $0 != 0 }
            guard let name = String(validating: Array(raw), as: UTF8.self) else {
                throw IMatrixError.badLegacyEntry(entry: i, reason: "name is not valid UTF-8")
            }
            at += len
            let ncall = try i32(i)
            let nval = Int(try i32(i))
            guard nval >= 1, nval <= (b.count - at) / 4 else {
                throw IMatrixError.badLegacyEntry(entry: i, reason: "value count \(nval) is not positive or runs past the file")
            }
            let sums = (0..<nval).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at + 4 * $0, as: UInt32.self))) }
            at += 4 * nval
            m.entries[name] = Entry(sums: sums, counts: [Int64(ncall)], isLegacy: true)
        }
        // The trailing chunk count and dataset name are optional, as in common_imatrix_load_legacy.
        if at + 4 <= b.count {
            m.chunkCount = Int(try i32(Int(n)))
            if at + 4 <= b.count {
                let len = Int(try i32(Int(n)))
                if len > 0, len <= b.count - at, let d = String(validating: Array(b[at..<(at + len)].prefix { $0 != 0 }), as: UTF8.self) {
                    m.datasets = [d]
                }
            }
        }
        return m
    }

    /// The `.dat` bytes llama-imatrix's `save_imatrix_legacy` writes for the same statistics: entries with
    /// no rows at all are skipped, ncall = ceil(max count / chunk size), values = (sum / count) × ncall.
    func legacyBytes() throws -> [UInt8] {
        var e = GGUFEncoder()
        var stored: [(String, Entry)] = []
        for name in names {
            guard let entry = entries[name], !entry.counts.isEmpty, entry.counts.contains(where: { $0 != 0 }) else { continue }
            stored.append((name, entry))
        }
        e.int(Int32(stored.count))
        for (name, entry) in stored {
            guard let len = Int32(exactly: name.utf8.count), let nval = Int32(exactly: entry.sums.count) else {
                throw IMatrixError.invalidSave("entry '\(name)' is too large for the .dat format")
            }
            e.int(len)
            e.bytes.append(contentsOf: name.utf8)
            if entry.isLegacy {
                // Already mean × ncall.
                e.int(Int32(clamping: entry.counts[0]))
                e.int(nval)
                for v in entry.sums { e.int(v.bitPattern) }
                continue
            }
            guard chunkSize > 0 else { throw IMatrixError.invalidSave("the .dat format needs a chunk size (imatrix.chunk_size is 0)") }
            guard entry.sums.count % entry.counts.count == 0 else {
                throw IMatrixError.countsDoNotDivideSums(entry: name, sums: entry.sums.count, counts: entry.counts.count)
            }
            let maxCount = entry.counts.max() ?? 0
            // Ceiling division written so that it cannot overflow.
            let cs = Int64(chunkSize)
            let ncall = Int32(clamping: maxCount / cs + (maxCount % cs == 0 ? 0 : 1))
            e.int(ncall)
            e.int(nval)
            let perMatrix = entry.sums.count / entry.counts.count
            for (i, s) in entry.sums.enumerated() {
                var count = Float(entry.counts[i / perMatrix])
                var value = s
                if count == 0 { value = 1; count = 1 }   // partial data: llama.cpp stores 1
                e.int(((value / count) * Float(ncall)).bitPattern)
            }
        }
        e.int(Int32(clamping: chunkCount))
        let dataset = datasets.last ?? ""
        e.int(Int32(dataset.utf8.count))
        e.bytes.append(contentsOf: dataset.utf8)
        return e.bytes
    }
}
