import Foundation
import WhittleTensor
import XCTest

/// Fallible allocation and the process-wide memory budget.
final class MemoryBudgetTests: XCTestCase {
    private var savedLimit: Int?

    override func setUp() { savedLimit = MemoryBudget.limit }
    override func tearDown() { MemoryBudget.limit = savedLimit }

    func testImpossibleTensorIsAnErrorNamingSizeAndShape() {
        MemoryBudget.limit = nil  // even without a budget, the system's refusal is an error, not a trap
        XCTAssertThrowsError(try Tensor(zeros: [1 << 40, 1 << 20])) { error in
            XCTAssertEqual("\(error)", "cannot allocate 4611686.0 TB for a 1099511627776x1048576 f32 tensor (the system is out of memory)")
        }
    }

    func testBudgetRefusesChargesAndReleases() throws {
        MemoryBudget.limit = MemoryBudget.used + 6_000_000
        let before = MemoryBudget.used
        XCTAssertThrowsError(try Tensor(zeros: [100_000, 100_000])) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot allocate 40.0 GB for a 100000x100000 f32 tensor (memory budget"), "\(error)")
        }
        XCTAssertEqual(MemoryBudget.used, before, "a refused allocation charges nothing")
        do {
            let t = try Tensor(zeros: [1000, 1000])
            XCTAssertEqual(MemoryBudget.used, before + 4_000_000)
            XCTAssertThrowsError(try t.checkedClone())
            XCTAssertThrowsError(try Tensor(zeros: [1000, 1000]))
            XCTAssertThrowsError(try MemoryBudget.check(bytes: 3_000_000, what: "a Hessian")) { error in
                XCTAssertTrue("\(error)".hasPrefix("cannot allocate 3.0 MB for a Hessian (memory budget"), "\(error)")
            }
            XCTAssertNoThrow(try MemoryBudget.check(bytes: 1_000_000, what: "a Hessian"))
        }
        XCTAssertEqual(MemoryBudget.used, before, "deinit releases the charge")
        XCTAssertNoThrow(try Tensor(zeros: [1000, 1000]))
    }

    func testBorrowedStorageIsNotCharged() throws {
        let owner = try Tensor(zeros: [1000])
        let before = MemoryBudget.used
        let view = Storage(borrowing: owner.storage.bytes, byteCount: 4000, owner: owner)
        XCTAssertEqual(MemoryBudget.used, before)
        _ = view
    }

    func testLargeZeroTensorDoesNotTouchItsPages() throws {
        MemoryBudget.limit = nil
        let before = residentBytes()
        let t = try Tensor(zeros: [256, 1024, 1024])  // 1 GiB of zeros
        let after = residentBytes()
        XCTAssertLessThan(after - before, 64 << 20, "zeroed pages come from the kernel, not a memset")
        XCTAssertEqual(Int(bitPattern: t.storage.bytes) % 64, 0)
        XCTAssertEqual(t.floats[t.count - 1], 0)
        let small = try Tensor(zeros: [3])
        XCTAssertEqual(Int(bitPattern: small.storage.bytes) % 64, 0)
    }

    func testSizesParse() {
        XCTAssertEqual(MemoryBudget.parseSize("8G"), 8_000_000_000)
        XCTAssertEqual(MemoryBudget.parseSize("512M"), 512_000_000)
        XCTAssertEqual(MemoryBudget.parseSize("1.5gb"), 1_500_000_000)
        XCTAssertEqual(MemoryBudget.parseSize("4096"), 4096)
        XCTAssertNil(MemoryBudget.parseSize("lots"))
        XCTAssertNil(MemoryBudget.parseSize("-1G"))
        XCTAssertNil(MemoryBudget.parseSize("1e30"))
        XCTAssertEqual(formatBytes(40_000_000_000), "40.0 GB")
    }

    private func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
