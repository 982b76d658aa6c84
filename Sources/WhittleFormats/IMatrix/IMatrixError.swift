/// Every way an importance-matrix file or request can be invalid, each naming the entry.
public enum IMatrixError: Error, CustomStringConvertible, Equatable {
    /// A file with no entries (llama.cpp refuses these too).
    case noEntries(path: String)
    /// A `.in_sum2` tensor without its `.counts` (or the reverse).
    case mismatchedSumsAndCounts(String)
    /// Sums or counts stored in a type other than F32.
    case notF32(String)
    /// A sums length that the number of matrices (counts) does not divide.
    case countsDoNotDivideSums(entry: String, sums: Int, counts: Int)
    /// A metadata key of the wrong type (`imatrix.chunk_count` must be u32, ...).
    case badMetadata(key: String, expected: String)
    /// The legacy `.dat` file ends inside entry `index`.
    case truncatedLegacy(entry: Int)
    /// A legacy entry whose name length or value count is negative, zero or runs past the file.
    case badLegacyEntry(entry: Int, reason: String)
    /// A count that is negative, or a value that is not a finite float.
    case badValue(entry: String, reason: String)
    /// No entry with that name.
    case entryNotFound(String)
    /// A save that cannot produce a file llama.cpp reads.
    case invalidSave(String)

    public var description: String {
        switch self {
        case .noEntries(let p): return "imatrix: no entries in '\(p)'"
        case .mismatchedSumsAndCounts(let n): return "imatrix: entry '\(n)' needs both '\(n).in_sum2' and '\(n).counts'"
        case .notF32(let n): return "imatrix: sums and counts of '\(n)' must be F32"
        case .countsDoNotDivideSums(let n, let s, let c): return "imatrix: entry '\(n)' has \(s) sums, not a multiple of its \(c) counts"
        case .badMetadata(let k, let e): return "imatrix: key '\(k)' must be \(e)"
        case .truncatedLegacy(let i): return "imatrix: legacy file ends inside entry \(i)"
        case .badLegacyEntry(let i, let r): return "imatrix: legacy entry \(i): \(r)"
        case .badValue(let n, let r): return "imatrix: entry '\(n)': \(r)"
        case .entryNotFound(let n): return "imatrix: no entry named '\(n)'"
        case .invalidSave(let m): return "imatrix: cannot save: \(m)"
        }
    }
}
