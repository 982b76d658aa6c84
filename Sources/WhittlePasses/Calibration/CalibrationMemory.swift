import Foundation
#if canImport(Glibc)
import Glibc
#endif
import WhittleNN
import WhittleTensor

/// What one block-by-block calibration run holds at its peak, item by item: printed before the
/// run starts and checked against the memory budget (`--max-memory`, `max_memory=`), so a run
/// too big for the machine is refused in the first second rather than killed an hour in.
public struct CalibrationPlan: Equatable {
    /// The windows' hidden states, f32, one copy (each window is replaced by its block output).
    public var states = 0
    /// One window inside one block: attention scores, q/k/v, the MLP intermediate.
    public var transient = 0
    /// One block's statistics, every input group at once (f32 Hessians or column sums).
    public var statistics = 0
    /// The method's work on the largest projection: f32 weight copies, codes, decoded values.
    public var work = 0
    /// The processed weights made so far (quantized blocks), for the blocks run.
    public var outputs = 0
    /// One block's stored weights paged in from a mapped file (not charged to the budget).
    public var mappedBlock = 0

    /// Bytes charged to the budget (everything but mapped file pages) at the run's peak: the
    /// states, the processed weights, and one block's statistics with either one window in
    /// flight (while they are gathered) or the method's work (while the block is processed).
    public var charged: Int { states + outputs + statistics + max(transient, work) }

    /// The plan of `DecoderCalibration.runBlocks` on `model` for `windows` x `tokens`, over the
    /// first `blocks` blocks. `hessians`: f32 Hessians (else column sums) and the GPTQ/SparseGPT
    /// work buffers; `outputBytesPerWeight`: storage of a processed weight (0 when unchanged).
    public init(_ model: DecoderModel, windows: Int, tokens: Int, blocks: Int, hessians: Bool, outputBytesPerWeight: Double) {
        let s = model.spec
        let attnWidth = s.heads * s.headDim, kvWidth = s.kvHeads * s.headDim
        states = windows * tokens * s.hidden * 4
        transient = tokens * (4 * s.hidden + 2 * attnWidth + 2 * kvWidth + 3 * s.ffn) * 4 + s.heads * tokens * tokens * 4
        let inputs = [s.hidden, attnWidth, s.hidden, s.ffn]
        if hessians {
            statistics = inputs.reduce(0) { $0 + HessianAccumulator.bytes(cols: $1) }
            // Down-projection: the f32 weight, its working copy, int32 codes, decoded values.
            work = 4 * s.hidden * s.ffn * 4 + HessianAccumulator.bytes(cols: s.hidden)
        } else {
            statistics = inputs.reduce(0) { $0 + $1 * 8 }
            work = s.hidden * s.ffn * 4
        }
        let weightsPerBlock = s.hidden * (attnWidth * 2 + kvWidth * 2) + 3 * s.hidden * s.ffn
        outputs = Int(Double(weightsPerBlock * blocks) * outputBytesPerWeight)
        if let first = model.blockProjections(0).first?.first?.projection {
            let bytesPerWeight = Double(first.weight.value.byteCount) / Double(max(first.weight.value.count, 1))
            mappedBlock = first.weight.value.storage.isReadOnly ? Int(Double(weightsPerBlock) * bytesPerWeight) : 0
        }
    }

    /// One line for the log: the total and its parts, in MB.
    public func summary(residentNow: Int?) -> String {
        let mb = { (b: Int) in String(format: "%.0f", Double(b) / 1e6) }
        var line = "needs about \(mb(charged)) MB beyond the model (states \(mb(states)), statistics \(mb(statistics)), "
            + "then the larger of method work \(mb(work)) and one window \(mb(transient)), processed weights \(mb(outputs))"
            + (mappedBlock > 0 ? ", plus \(mb(mappedBlock)) MB of one block's mapped weights)" : ")")
        if let r = residentNow {
            line += String(format: "; peak RSS about %.2f GB (%.2f GB resident now)", Double(r + charged + mappedBlock) / 1e9, Double(r) / 1e9)
        }
        return line
    }
}

/// The process's resident memory, read from /proc (nil where there is none).
public enum ProcessMemory {
    /// Resident set size now (VmRSS), bytes.
    public static var resident: Int? { field("VmRSS:") }
    /// Peak resident set size so far (VmHWM), bytes.
    public static var peakResident: Int? { field("VmHWM:") }

    static func field(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let kb = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    /// Drops the resident pages of tensors that borrow a read-only file mapping (a processed
    /// block's original weights): they are clean file pages, so a later read faults them back
    /// in from the file. Owned (heap) storage is never touched.
    public static func releaseMappedPages(_ tensors: [Tensor]) {
        #if canImport(Glibc)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        for t in tensors where t.storage.isReadOnly {
            let start = Int(bitPattern: t.storage.bytes), end = start + t.storage.byteCount
            let first = (start + page - 1) / page * page, last = end / page * page
            guard last > first, let p = UnsafeMutableRawPointer(bitPattern: first) else { continue }
            _ = madvise(p, last - first, MADV_DONTNEED)
        }
        #endif
    }
}
