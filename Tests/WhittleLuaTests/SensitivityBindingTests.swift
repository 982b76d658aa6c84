import Foundation
import WhittleLua
import XCTest

/// `whittle.sensitivity` from Lua: the table it returns and the SVG chart it writes.
final class SensitivityBindingTests: XCTestCase {
    func testTableAndPlot() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-sens-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/Models/lenet300.safetensors"
        let lua = try LuaState()
        let out = try lua.run("""
            local m = whittle.load("\(model)")
            local before = m:param("1.weight"):sparsity()
            local t = whittle.sensitivity(m, whittle.data.mnist().test:take(500), {levels = {0.5, 0.99}, targets = {"1.weight", "3.weight"}, plot = "\(dir)/sens.svg", print = false})
            return before, m:param("1.weight"):sparsity(), type(t)
            """, name: "=test")
        XCTAssertEqual(out[0], out[1], "sensitivity must leave the model unchanged")
        XCTAssertEqual(out[2], "table")
        let svg = try String(contentsOfFile: dir + "/sens.svg", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"), String(svg.prefix(80)))
        XCTAssertTrue(svg.contains("1.weight") && svg.contains("3.weight"), "legend names the layers")
        XCTAssertTrue(svg.contains("<polyline") || svg.contains("<path"), "one line per layer")
        // Pruning 99% of fc1 costs far more accuracy than 50%: the table must say so.
        let drop = try lua.run("""
            local m = whittle.load("\(model)")
            local t = whittle.sensitivity(m, whittle.data.mnist().test:take(500), {levels = {0.5, 0.99}, targets = "1.weight", print = false})
            return #t.rows, t.rows[1].target, t.rows[1].accuracy[1], t.rows[1].accuracy[2], t.baseline
            """, name: "=test")
        XCTAssertEqual(drop[0], "1")
        XCTAssertEqual(drop[1], "1.weight")
        let at50 = try XCTUnwrap(Double(drop[2])), at99 = try XCTUnwrap(Double(drop[3])), base = try XCTUnwrap(Double(drop[4]))
        XCTAssertGreaterThan(at50, base - 0.02)
        XCTAssertLessThan(at99, at50 - 0.2)
    }
}
