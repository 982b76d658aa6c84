import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A block of bytes holding tensor elements: owned and 64-byte aligned, or
/// borrowed from an owner that keeps it alive (a memory-mapped file).
public final class Storage: @unchecked Sendable {
    /// Start of the bytes.
    public let bytes: UnsafeMutableRawPointer
    /// Length in bytes.
    public let byteCount: Int
    /// True when the bytes belong to a read-only mapping: writers must copy first.
    public let isReadOnly: Bool
    private let ownership: Ownership

    private enum Ownership {
        case heap                       // posix_memalign; charged to the budget
        case anonymousMapping(Int)      // mmap'ed length; charged to the budget
        case borrowed(AnyObject)        // kept alive by its owner; not charged
    }

    /// From this size up, zeroed storage comes straight from the kernel (mmap), so
    /// untouched pages cost nothing and no memset walks the whole block.
    static let mappingThreshold = 256 * 1024

    /// Allocates `byteCount` zeroed bytes, charged to the memory budget; throws an
    /// `AllocationError` naming `what` when over budget or refused by the system.
    public init(zeroed byteCount: Int, what: @autoclosure () -> String) throws {
        guard byteCount >= 0 else {
            throw AllocationError(bytes: byteCount, what: what(), reason: "negative size")
        }
        try MemoryBudget.charge(bytes: byteCount, what: what())
        guard let (pointer, ownership) = Storage.allocateZeroed(byteCount) else {
            MemoryBudget.release(bytes: byteCount)
            throw AllocationError(bytes: byteCount, what: what(), reason: "the system is out of memory")
        }
        self.bytes = pointer
        self.byteCount = byteCount
        self.ownership = ownership
        isReadOnly = false
    }

    /// Allocates `byteCount` zeroed bytes where the size is already known to be sane
    /// (a copy of memory that exists). Charged past the budget if need be; traps only
    /// when the system itself is out of memory. Input-dependent sizes use `init(zeroed:what:)`.
    public init(zeroedBytes byteCount: Int) {
        MemoryBudget.forceCharge(bytes: byteCount)
        guard let (pointer, ownership) = Storage.allocateZeroed(max(byteCount, 0)) else {
            fatalError("cannot allocate \(formatBytes(byteCount)): the system is out of memory")
        }
        self.bytes = pointer
        self.byteCount = byteCount
        self.ownership = ownership
        isReadOnly = false
    }

    /// Wraps bytes kept alive by `owner` (for example a mapped file); never freed here.
    public init(borrowing bytes: UnsafeRawPointer, byteCount: Int, owner: AnyObject, readOnly: Bool = true) {
        self.bytes = UnsafeMutableRawPointer(mutating: bytes)
        self.byteCount = byteCount
        ownership = .borrowed(owner)
        isReadOnly = readOnly
    }

    /// A writable, budget-charged copy of these bytes.
    public func copy(what: @autoclosure () -> String) throws -> Storage {
        let out = try Storage(zeroed: byteCount, what: what())
        out.bytes.copyMemory(from: bytes, byteCount: byteCount)
        return out
    }

    deinit {
        switch ownership {
        case .heap:
            free(bytes)
            MemoryBudget.release(bytes: byteCount)
        case .anonymousMapping(let length):
            munmap(bytes, length)
            MemoryBudget.release(bytes: byteCount)
        case .borrowed:
            break
        }
    }

    /// Zeroed, 64-byte aligned memory, or nil when the system refuses.
    private static func allocateZeroed(_ byteCount: Int) -> (UnsafeMutableRawPointer, Ownership)? {
        if byteCount >= mappingThreshold {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let (rounded, overflow) = byteCount.addingReportingOverflow(page - 1)
            guard !overflow else { return nil }
            let length = rounded / page * page
            guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  p != MAP_FAILED else { return nil }
            return (p, .anonymousMapping(length))
        }
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 64, max(byteCount, 1)) == 0, let p else { return nil }
        memset(p, 0, max(byteCount, 1))
        return (p, .heap)
    }
}
