import XCTest
import WhittleKernels

/// Deterministic xorshift generator so failures reproduce.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in float() } }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}

/// Asserts |x - y| <= tol * max(1, |y|, scale) element-wise, naming the first bad index.
func assertClose(_ x: [Float], _ y: [Float], rel tol: Float, scale: Float = 1, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(x.count, y.count, what, file: file, line: line)
    for i in 0..<min(x.count, y.count) {
        let bound = tol * max(1, abs(y[i]), scale)
        if !(abs(x[i] - y[i]) <= bound) {
            XCTFail("\(what): index \(i): got \(x[i]), expected \(y[i])", file: file, line: line)
            return
        }
    }
}

/// The directory of committed fixtures, found next to this source file.
func fixtureURL(_ name: String, file: String = #filePath) -> URL {
    URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
}

/// Runs `body` once at every ISA level this CPU supports (scalar, avx2, avx512), restoring the
/// level afterwards: how the suite covers each kernel path on one machine.
func forEachISA(_ body: (KernelISA) throws -> Void, file: StaticString = #filePath, line: UInt = #line) rethrows {
    let saved = KernelISA.active
    defer { try? KernelISA.force(saved) }
    for isa in KernelISA.supported {
        do { try KernelISA.force(isa) } catch { XCTFail("cannot force \(isa): \(error)", file: file, line: line); continue }
        try body(isa)
    }
}
