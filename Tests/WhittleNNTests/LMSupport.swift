import Foundation
import WhittleNN
import WhittleTensor
import XCTest

/// Path of a transformer fixture (Tests/WhittleNNTests/Fixtures/lm/NAME), made by Scripts/fixtures/make_lm_fixtures.py.
func lmFixture(_ name: String, file: String = #filePath) -> String {
    URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Fixtures/lm").appendingPathComponent(name).path
}

/// A fixture's expected.json as a JSON object.
func lmExpected(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: lmFixture(name) + "/expected.json"))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// Numbers of a JSON array (any numeric type).
func numbers(_ v: Any?) -> [Float] { (v as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.floatValue } }

/// Integers of a JSON array.
func integers(_ v: Any?) -> [Int] { (v as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue } }

/// Asserts |a - e| ≤ atol + rtol·|e| elementwise, reporting the worst element.
func assertClose(_ a: [Float], _ e: [Float], rtol: Float = 1e-4, atol: Float = 1e-4, _ what: String, line: UInt = #line) {
    XCTAssertEqual(a.count, e.count, "\(what): count", line: line)
    var worst: (Int, Float) = (0, 0)
    for i in 0..<min(a.count, e.count) {
        let excess = abs(a[i] - e[i]) - (atol + rtol * abs(e[i]))
        if excess > worst.1 { worst = (i, excess) }
    }
    if worst.1 > 0 { XCTFail("\(what): element \(worst.0) is \(a[worst.0]), expected \(e[worst.0])", line: line) }
}

/// A scratch copy of a fixture directory, removed by the caller.
func scratchCopy(of name: String) throws -> String {
    let dir = NSTemporaryDirectory() + "whittle-lm-\(name)-\(UUID().uuidString)"
    try FileManager.default.copyItem(atPath: lmFixture(name), toPath: dir)
    return dir
}

/// Rewrites config.json of a scratch directory through `edit`.
func editConfig(_ dir: String, _ edit: (inout [String: Any]) -> Void) throws {
    let path = dir + "/config.json"
    var c = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    edit(&c)
    try JSONSerialization.data(withJSONObject: c).write(to: URL(fileURLWithPath: path))
}
