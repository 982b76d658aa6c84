import Foundation
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class PruningCSRTests: XCTestCase {
    func testRelativeIndicesWithFillersRoundTrip() throws {
        // Gaps of 1, 17 and 40 positions: at 4 bits (span 16) the long ones need fillers.
        var v = [Float](repeating: 0, count: 64)
        v[0] = 1.5; v[17] = -2; v[57] = 3; v[63] = 0.25
        let t = try Tensor(shape: [4, 16], values: v)
        let e4 = try CSREncoding.encode(t, indexBits: 4)
        XCTAssertEqual(e4.nonzeros, 4)
        XCTAssertEqual(e4.entries, 4 + 1 + 2)   // 17 - 0 = 17 > 16: one filler; 57 - 17 = 40: two
        XCTAssertEqual(e4.byteCount, 7 * 4 + 4)
        XCTAssertEqual(try e4.decode().toArray(), v)
        let e8 = try CSREncoding.encode(t, indexBits: 8)
        XCTAssertEqual(e8.entries, 4)
        XCTAssertEqual(e8.byteCount, 4 * 4 + 4)
        XCTAssertEqual(try e8.decode().toArray(), v)
        XCTAssertEqual(try CSREncoding.encode(t).indexBits, 8, "auto picks the smaller form")
        XCTAssertEqual(PruneFixtures.message { _ = try CSREncoding.encode(t, indexBits: 5) }, "csr: 'index_bits' must be 4 or 8, got 5")
    }

    func testPrunedModelSavesSmallerAndLoadsWithIdenticalOutputs() throws {
        let m = try PruneFixtures.mlp([64, 48, 10])
        try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.9)])
        let x = try PruneFixtures.randn([6, 64], seed: 12)
        let y0 = try m.forward(x).clone()
        let dir = NSTemporaryDirectory(), a = dir + "csr-a-\(getpid()).safetensors", b = dir + "csr-b-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        try m.save(to: a)
        let report = try PruneFixtures.run("prune.csr", m, [:])
        XCTAssertEqual(report.rows.count, 2)
        XCTAssertEqual(m.parameter(named: "0.weight")!.encoding?.format, "csr")
        // Sparse execution in eval mode gives the dense result up to summation order.
        XCTAssertLessThan(PruneFixtures.maxDiff(try m.forward(x), y0), 1e-5)
        try m.save(to: b)
        let sizeA = try FileManager.default.attributesOfItem(atPath: a)[.size] as! Int
        let sizeB = try FileManager.default.attributesOfItem(atPath: b)[.size] as! Int
        XCTAssertLessThan(sizeB, sizeA / 3)
        let back = try Model.load(b)
        XCTAssertEqual(back.parameter(named: "0.weight")!.encoding?.format, "csr")
        XCTAssertEqual(back.parameter(named: "0.weight")!.value.toArray(), m.parameter(named: "0.weight")!.value.toArray())
        XCTAssertEqual(try back.forward(x).toArray(), try m.forward(x).toArray())
    }

    func testDenseTensorsStayDenseAndEncodedOnesCannotBePrunedAgain() throws {
        let m = try PruneFixtures.mlp([16, 8, 4])
        try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.75), "targets": .string("0.weight")])
        let report = try PruneFixtures.run("prune.csr", m, [:])
        XCTAssertEqual(report.rows.map { r in r.values.first { $0.0 == "stored" }.map { "\($0.1)" } ?? "" }, ["\"csr4\"", "\"dense\""], "75% sparse: 4-bit gaps are the smaller form")
        XCTAssertNil(m.parameter(named: "2.weight")!.encoding)
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.9)]) },
                       "prune.magnitude: '0.weight' is already stored as csr; prune before quantizing or encoding")
    }

    func testCorruptStoredFormsAreRejected() throws {
        let t = try Tensor(shape: [2, 4], values: [0, 1, 0, 0, 0, 0, 2, 0])
        let e = try CSREncoding.encode(t, indexBits: 8)
        let longGap = try Tensor(zeros: [2], dtype: .u8)
        longGap.storage.bytes.storeBytes(of: UInt8(200), as: UInt8.self)
        XCTAssertEqual(PruneFixtures.message { _ = try CSREncoding(shape: [2, 4], indexBits: 8, values: e.values, gaps: longGap, nonzeros: 2) },
                       "csr: entry 0 lands at position 200, past the 8 elements")
        XCTAssertEqual(PruneFixtures.message { _ = try CSREncoding(shape: [2, 4], indexBits: 8, values: e.values, gaps: e.gaps, nonzeros: 3) },
                       "csr: 2 nonzero entries, the metadata says 3")
    }
}
