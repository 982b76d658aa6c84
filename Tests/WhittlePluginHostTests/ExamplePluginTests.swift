import Foundation
import WhittleNN
import WhittlePasses
import WhittlePluginHost
import XCTest

/// The example plugins in Plugins/ loaded and run on LeNet-300-100.
final class ExamplePluginTests: XCTestCase {
    /// Outlier clipping (plain C, built here with the system compiler): every weight
    /// ends inside mean +- k std of its original tensor, and only the outliers moved.
    func testCClipPluginOnLeNet() throws {
        let dir = try PluginFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = PluginFixtures.root.appendingPathComponent("Plugins/clip/clip_outliers.c").path
        let path = try PluginFixtures.compile(file: source, name: "libwhittle_clip.so", in: dir)
        let registry = PassRegistry()
        XCTAssertEqual(try NativePlugins.load(path, into: registry), ["clip.outliers"])
        let pass = try registry.pass(named: "clip.outliers")
        XCTAssertEqual(pass.source, .native(path: path))
        XCTAssertEqual(pass.params.map(\.name), ["k"])

        let model = try PluginFixtures.lenet300()
        let before = Dictionary(uniqueKeysWithValues: model.parameters().map { ($0.name, $0.parameter.value.toArray()) })
        var logged: [String] = []
        let report = try registry.run("clip.outliers", on: model, options: ["k": .number(2.5), "overrides": .table(["5.weight": .table(["k": .number(1)])])],
                                      context: PassContext(log: { logged.append($0) }))
        XCTAssertEqual(report.rows.map(\.target), ["1.weight", "3.weight", "5.weight"])
        XCTAssertEqual(logged, ["clip.outliers: clipped 3 tensors (266200 values examined)"])
        for row in report.rows {
            let original = try XCTUnwrap(before[row.target])
            let n = Double(original.count)
            let mean = original.reduce(0.0) { $0 + Double($1) } / n
            let sd = (original.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
            let k = row.target == "5.weight" ? 1.0 : 2.5
            let lo = Float(mean - k * sd), hi = Float(mean + k * sd)
            let now = try XCTUnwrap(model.parameter(named: row.target)).value.toArray()
            var clipped = 0
            for (a, b) in zip(original, now) {
                XCTAssertEqual(b, min(max(a, lo), hi), accuracy: 1e-6)
                if a < lo || a > hi { clipped += 1 }
            }
            XCTAssertGreaterThan(clipped, 0)
            XCTAssertEqual(number(row, "clipped"), Double(clipped))
            XCTAssertEqual(number(row, "k"), k)
        }
        // Biases were not targeted.
        XCTAssertEqual(try XCTUnwrap(model.parameter(named: "1.bias")).value.toArray(), before["1.bias"])
    }

    /// Ternary quantization (Swift, the WhittleTernary dynamic library product):
    /// each weight tensor holds exactly {-a, 0, +a}, with a the mean kept magnitude.
    func testSwiftTernaryPluginOnLeNet() throws {
        let path = try ternaryLibrary()
        let registry = PassRegistry()
        XCTAssertEqual(try NativePlugins.load(path, into: registry), ["quantize.ternary"])
        let model = try PluginFixtures.lenet300()
        let original = try XCTUnwrap(model.parameter(named: "3.weight")).value.toArray()
        let report = try registry.run("quantize.ternary", on: model, options: ["targets": .string("3.weight")])
        XCTAssertEqual(report.rows.map(\.target), ["3.weight"])
        let values = try XCTUnwrap(model.parameter(named: "3.weight")).value.toArray()
        let distinct = Set(values.map { abs($0) })
        XCTAssertEqual(distinct.count, 2, "expected {0, a}, got \(distinct.sorted().prefix(5))")
        let alpha = try XCTUnwrap(distinct.max())
        let meanAbs = original.reduce(0.0) { $0 + Double(abs($1)) } / Double(original.count)
        let kept = original.filter { Double(abs($0)) > 0.7 * meanAbs }
        XCTAssertEqual(Double(alpha), kept.reduce(0.0) { $0 + Double(abs($1)) } / Double(kept.count), accuracy: 1e-6)
        for (a, q) in zip(original, values) {
            XCTAssertEqual(q, Double(abs(a)) > 0.7 * meanAbs ? (a < 0 ? -alpha : alpha) : 0)
        }
        XCTAssertEqual(number(report.rows[0], "alpha") ?? 0, Double(alpha), accuracy: 1e-6)
        // The other layers are untouched, and the model still runs.
        XCTAssertGreaterThan(Set(try XCTUnwrap(model.parameter(named: "1.weight")).value.toArray()).count, 1000)
        XCTAssertEqual(try model.forward(try .init(zeros: [2, 1, 28, 28])).shape, [2, 10])
    }

    /// Per-channel ternary: one scale per output row.
    func testSwiftTernaryPerChannel() throws {
        let registry = PassRegistry()
        _ = try NativePlugins.load(try ternaryLibrary(), into: registry)
        let model = try PluginFixtures.lenet300()
        _ = try registry.run("quantize.ternary", on: model, options: ["targets": .string("5.weight"), "per_channel": .bool(true), "threshold": .number(0.5)])
        let w = try XCTUnwrap(model.parameter(named: "5.weight")).value
        XCTAssertEqual(w.shape, [10, 100])
        let values = w.toArray()
        var scales = Set<Float>()
        for r in 0..<10 {
            let row = Set(values[(r * 100)..<((r + 1) * 100)].map { abs($0) })
            XCTAssertEqual(row.count, 2)
            scales.insert(row.max() ?? 0)
        }
        XCTAssertEqual(scales.count, 10)
    }

    /// libWhittleTernary sits next to the test bundle: `swift build`/`swift test` build every product.
    private func ternaryLibrary() throws -> String {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bundleDir, bundleDir.deletingLastPathComponent()] {
            for name in ["libWhittleTernary.so", "libWhittleTernary.dylib"] {
                let candidate = dir.appendingPathComponent(name).path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
            }
        }
        XCTFail("libWhittleTernary not found next to \(bundleDir.path): build it with `swift build -c release --product WhittleTernary`")
        throw PluginFixtures.CompileError(message: "no libWhittleTernary")
    }

    private func number(_ row: PassReport.Row, _ key: String) -> Double? {
        switch row.values.first(where: { $0.0 == key })?.1 {
        case .number(let d)?: return d
        case .integer(let i)?: return Double(i)
        default: return nil
        }
    }
}
