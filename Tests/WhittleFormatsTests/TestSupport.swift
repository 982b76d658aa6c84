import Foundation
import WhittleTensor
import XCTest

/// A committed fixture, found next to this source file (tests never read outside the repo).
func fixturePath(_ name: String, file: String = #filePath) -> String {
    URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// A fresh empty directory, removed when the test case ends.
func makeTempDir(_ test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-formats-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir.path
}

/// A safetensors image from a header text (not padded) and data bytes.
func safetensorsImage(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    var out: [UInt8] = []
    withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { out += $0 }
    return out + h + data
}

/// Writes bytes to `dir/name` and returns the path.
func writeFile(_ bytes: [UInt8], _ dir: String, _ name: String) throws -> String {
    let path = dir + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// A tensor of `dtype` whose raw bytes are `bytes`.
func rawTensor(_ shape: [Int], _ dtype: DType, _ bytes: [UInt8]) throws -> Tensor {
    let t = try Tensor(zeros: shape, dtype: dtype)
    precondition(bytes.count == t.byteCount, "test bug: byte count")
    bytes.withUnsafeBytes { t.storage.bytes.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    return t
}

/// Little-endian bytes of fixed-width values.
func leBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

/// Little-endian bytes of floats.
func floatBytes(_ values: [Float]) -> [UInt8] { leBytes(values.map(\.bitPattern)) }

/// Deterministic xorshift generator so failures reproduce.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Asserts that `body` throws exactly `expected` (compared by its message too).
func assertThrows<E: Error & Equatable & CustomStringConvertible>(
    _ expected: E, message: String? = nil, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected \(expected) but nothing was thrown", file: file, line: line)
    } catch let e as E {
        XCTAssertEqual(e, expected, file: file, line: line)
        if let message { XCTAssertEqual(e.description, message, file: file, line: line) }
    } catch {
        XCTFail("expected \(expected), got \(type(of: error)): \(error)", file: file, line: line)
    }
}
