import Foundation
import Synchronization

/// A failed allocation: over the memory budget, or refused by the operating system.
/// The message names the size and what it was for, as the person running a recipe needs it.
public struct AllocationError: Error, CustomStringConvertible, Equatable {
    /// Bytes that were asked for.
    public let bytes: Int
    /// What the bytes were for ("a 100000x100000 f32 tensor").
    public let what: String
    /// Why it failed, appended in parentheses.
    public let reason: String

    public init(bytes: Int, what: String, reason: String) {
        self.bytes = bytes
        self.what = what
        self.reason = reason
    }

    public var description: String { "cannot allocate \(formatBytes(bytes)) for \(what) (\(reason))" }
}

/// The process-wide memory budget: live tensor and buffer bytes are charged when
/// allocated and released when freed, so a recipe that asks for too much gets an
/// error instead of waking the OOM killer. Storage borrowed from a mapped file is
/// not charged (the kernel can drop those pages at will).
public enum MemoryBudget {
    private static let charged = Atomic<Int>(0)
    private static let peakCharged = Atomic<Int>(0)
    /// 0 means "no limit".
    private static let limitBytes = Atomic<Int>(defaultLimit)

    /// Physical memory of the machine, in bytes.
    public static var physicalMemory: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// Without `--max-memory`, allocations may use up to the machine's physical memory.
    public static var defaultLimit: Int { physicalMemory }

    /// The limit in bytes, or nil for none. Lowering it below the current use is allowed:
    /// later allocations fail until enough is freed.
    public static var limit: Int? {
        get { let l = limitBytes.load(ordering: .relaxed); return l > 0 ? l : nil }
        set { limitBytes.store(max(newValue ?? 0, 0), ordering: .relaxed) }
    }

    /// Bytes currently charged (live owned tensor storage and registered buffers).
    public static var used: Int { charged.load(ordering: .relaxed) }

    /// Highest `used` seen since start (or the last `resetPeak`).
    public static var peak: Int { peakCharged.load(ordering: .relaxed) }

    /// Restarts peak tracking from the current use.
    public static func resetPeak() { peakCharged.store(used, ordering: .relaxed) }

    /// Throws unless `bytes` more would fit in the budget now. Long passes (calibration,
    /// GPTQ) call this with their computed peak before they start, so they fail in
    /// the first second rather than an hour in. Nothing is charged.
    public static func check(bytes: Int, what: String) throws {
        guard bytes >= 0 else { throw AllocationError(bytes: bytes, what: what, reason: "negative size") }
        guard let limit else { return }
        let now = used
        if bytes > limit - now { throw overBudget(bytes: bytes, what: what, limit: limit, used: now) }
    }

    /// Charges `bytes` against the budget, or throws without charging when it would go over.
    public static func charge(bytes: Int, what: @autoclosure () -> String) throws {
        guard bytes > 0 else { return }
        let limit = limitBytes.load(ordering: .relaxed)
        let after = charged.add(bytes, ordering: .relaxed).newValue
        if limit > 0 && after > limit {
            charged.subtract(bytes, ordering: .relaxed)
            throw overBudget(bytes: bytes, what: what(), limit: limit, used: after - bytes)
        }
        recordPeak(after)
    }

    /// Charges `bytes` even past the limit: for copies of memory that already exists, on
    /// paths that cannot fail (the limit then stops the next fallible allocation).
    public static func forceCharge(bytes: Int) {
        guard bytes > 0 else { return }
        recordPeak(charged.add(bytes, ordering: .relaxed).newValue)
    }

    /// Returns `bytes` charged earlier.
    public static func release(bytes: Int) {
        guard bytes > 0 else { return }
        charged.subtract(bytes, ordering: .relaxed)
    }

    private static func recordPeak(_ value: Int) {
        var seen = peakCharged.load(ordering: .relaxed)
        while value > seen {
            let (exchanged, original) = peakCharged.compareExchange(expected: seen, desired: value, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    private static func overBudget(bytes: Int, what: String, limit: Int, used: Int) -> AllocationError {
        AllocationError(bytes: bytes, what: what,
                        reason: "memory budget \(formatBytes(limit)), \(formatBytes(used)) in use; raise it with --max-memory or whittle.limits{memory=...}")
    }

    /// Parses a size such as "8G", "512M", "1.5GB", "4096" (bytes); nil when malformed.
    /// Units are decimal (G = 10^9), as messages print them.
    public static func parseSize(_ text: String) -> Int? {
        var s = text.trimmingCharacters(in: .whitespaces).uppercased()
        if s.hasSuffix("IB") { s.removeLast(2) } else if s.hasSuffix("B") { s.removeLast() }
        var scale = 1.0
        if let last = s.last, let power = "KMGT".firstIndex(of: last) {
            scale = pow(1000, Double("KMGT".distance(from: "KMGT".startIndex, to: power) + 1))
            s.removeLast()
        }
        guard let value = Double(s), value.isFinite, value >= 0 else { return nil }
        let bytes = value * scale
        guard bytes < 9.0e18 else { return nil }
        return Int(bytes)
    }
}

/// "40.0 GB", "512.0 MB", "300 bytes": sizes in messages (decimal units, as `parseSize` reads them).
public func formatBytes(_ bytes: Int) -> String {
    let b = Double(bytes)
    if abs(b) >= 1e12 { return String(format: "%.1f TB", b / 1e12) }
    if abs(b) >= 1e9 { return String(format: "%.1f GB", b / 1e9) }
    if abs(b) >= 1e6 { return String(format: "%.1f MB", b / 1e6) }
    if abs(b) >= 1e3 { return String(format: "%.1f kB", b / 1e3) }
    return "\(bytes) bytes"
}
