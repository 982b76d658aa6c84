import Foundation
import WhittleFormats
import WhittleTensor
import XCTest

/// Importance matrices against llama-imatrix's own files (Scripts/fixtures/make_imatrix_fixtures.py).
final class IMatrixTests: XCTestCase {
    private func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// name -> (counts, sums, means) as recorded by the fixture script.
    private func expected() throws -> [String: (counts: [Int64], sums: [Float], means: [Float])] {
        guard case .object(let o) = try JSONParser.parse(try bytes(fixturePath("imatrix_small.json"))) else { return [:] }
        func numbers(_ v: JSONValue?) -> [Double] {
            guard case .array(let a)? = v else { return [] }
            return a.compactMap { if case .number(let s) = $0 { return Double(s) }; return nil }
        }
        var out: [String: (counts: [Int64], sums: [Float], means: [Float])] = [:]
        for (name, v) in o {
            guard case .object(let e) = v else { continue }
            let get = { (k: String) in e.first { $0.key == k }?.value }
            out[name] = (numbers(get("counts")).map { Int64($0) }, numbers(get("sums")).map { Float($0) }, numbers(get("means")).map { Float($0) })
        }
        return out
    }

    func testLoadsLlamaImatrixGGUF() throws {
        let m = try ImportanceMatrix.load(fixturePath("imatrix_small.gguf"))
        let want = try expected()
        XCTAssertEqual(m.names, ["blk.0.attn_k.weight", "blk.0.ffn_down.weight", "blk.0.ffn_up_exps.weight", "blk.29.ffn_up.weight"])
        XCTAssertEqual(Set(m.names), Set(want.keys))
        for (name, w) in want {
            let e = try XCTUnwrap(m.entries[name])
            XCTAssertEqual(e.counts, w.counts, name)
            XCTAssertEqual(e.sums, w.sums, name)
            XCTAssertEqual(m.means(of: name), w.means, name)
        }
        XCTAssertEqual(m.entries["blk.0.ffn_down.weight"]?.columns, 1536)
        XCTAssertEqual(m.entries["blk.0.ffn_up_exps.weight"]?.counts, [128, 0, 64])
        XCTAssertEqual(m.datasets, ["calib.txt"])
        XCTAssertEqual(m.chunkCount, 2)
        XCTAssertEqual(m.chunkSize, 64)
    }

    func testSavesTheSameBytesAsLlamaImatrixInBothFormats() throws {
        let dir = try makeTempDir(self)
        let m = try ImportanceMatrix.load(fixturePath("imatrix_small.gguf"))
        try m.save(dir + "/out.gguf")
        XCTAssertEqual(try bytes(dir + "/out.gguf"), try bytes(fixturePath("imatrix_small.gguf")))
        try m.save(dir + "/out.dat")
        XCTAssertEqual(try bytes(dir + "/out.dat"), try bytes(fixturePath("imatrix_small.dat")))
        XCTAssertEqual(try ImportanceMatrix.load(dir + "/out.gguf"), m)
    }

    func testLegacyDatLoadsAndConvertsAsLlamaImatrixDoes() throws {
        let legacy = try ImportanceMatrix.load(fixturePath("imatrix_small.dat"))
        let want = try expected()
        XCTAssertEqual(legacy.datasets, ["calib.txt"])
        XCTAssertEqual(legacy.chunkCount, 2)
        for (name, w) in want where w.counts.count == 1 {
            let got = try XCTUnwrap(legacy.means(of: name))
            for (a, b) in zip(got, w.means) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, abs(b)), name) }
        }
        // The partial expert reads back as 1, as llama.cpp stores it.
        XCTAssertEqual(legacy.means(of: "blk.0.ffn_up_exps.weight")?[32..<64].allSatisfy { $0 == 1 }, true)
        let dir = try makeTempDir(self)
        try legacy.save(dir + "/same.dat")
        XCTAssertEqual(try bytes(dir + "/same.dat"), try bytes(fixturePath("imatrix_small.dat")))
        var converted = legacy
        converted.chunkSize = 64   // llama-imatrix -c 64
        try converted.save(dir + "/from_dat.gguf")
        XCTAssertEqual(try bytes(dir + "/from_dat.gguf"), try bytes(fixturePath("imatrix_from_dat.gguf")))
    }

    func testAccumulateIsTheSumOfSquaresPerColumn() throws {
        var m = ImportanceMatrix(chunkSize: 4)
        let x: [Float] = [1, 2, 3, -1, 0, 2]
        try x.withUnsafeBufferPointer { try m.accumulate("w", activations: $0, columns: 3) }
        try x.withUnsafeBufferPointer { try m.accumulate("w", activations: UnsafeBufferPointer(rebasing: $0[0..<3]), columns: 3) }
        XCTAssertEqual(m.entries["w"]?.sums, [3, 8, 22])
        XCTAssertEqual(m.entries["w"]?.counts, [3])
        XCTAssertEqual(m.means(of: "w"), [1, 8.0 / 3, 22.0 / 3])
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { try m.accumulate("w", activations: $0, columns: 2) })
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { try m.accumulate("v", activations: $0, columns: 4) })
    }

    func testMalformedFilesAreRefused() throws {
        let dir = try makeTempDir(self)
        func gguf(_ tensors: [(String, Tensor)]) throws -> String {
            let path = dir + "/m.gguf"
            try GGUFWriter.write(metadata: GGUFMetadata(), tensors: try tensors.map { try GGUFTensorPayload(name: $0.0, tensor: $0.1) }, to: path)
            return path
        }
        let sums = try Tensor(shape: [4], values: [1, 2, 3, 4])
        assertThrows(IMatrixError.mismatchedSumsAndCounts("a"), message: "imatrix: entry 'a' needs both 'a.in_sum2' and 'a.counts'") {
            _ = try ImportanceMatrix.load(try gguf([("a.in_sum2", sums)]))
        }
        assertThrows(IMatrixError.notF32("a")) {
            _ = try ImportanceMatrix.load(try gguf([("a.in_sum2", sums), ("a.counts", try Tensor(zeros: [1], dtype: .f16))]))
        }
        assertThrows(IMatrixError.countsDoNotDivideSums(entry: "a", sums: 4, counts: 3)) {
            _ = try ImportanceMatrix.load(try gguf([("a.in_sum2", sums), ("a.counts", try Tensor(shape: [3], values: [1, 1, 1]))]))
        }
        assertThrows(IMatrixError.badValue(entry: "a", reason: "count -1.0 is not a non-negative number")) {
            _ = try ImportanceMatrix.load(try gguf([("a.in_sum2", sums), ("a.counts", try Tensor(shape: [1], values: [-1]))]))
        }
        assertThrows(IMatrixError.noEntries(path: dir + "/m.gguf")) { _ = try ImportanceMatrix.load(try gguf([])) }
        let dat = try bytes(fixturePath("imatrix_small.dat"))
        assertThrows(IMatrixError.badLegacyEntry(entry: 0, reason: "value count 576 is not positive or runs past the file")) {
            _ = try ImportanceMatrix.load(try writeFile(Array(dat.prefix(100)), dir, "cut.dat"))
        }
        assertThrows(IMatrixError.noEntries(path: dir + "/zero.dat")) {
            _ = try ImportanceMatrix.load(try writeFile(leBytes([Int32(0)]), dir, "zero.dat"))
        }
        assertThrows(IMatrixError.badLegacyEntry(entry: 0, reason: "name length -5 runs past the file")) {
            _ = try ImportanceMatrix.load(try writeFile(leBytes([Int32(1), Int32(-5)]), dir, "neg.dat"))
        }
        // Truncated GGUF imatrix files report the GGUF error.
        let g = try bytes(fixturePath("imatrix_small.gguf"))
        XCTAssertThrowsError(try ImportanceMatrix.load(try writeFile(Array(g.prefix(g.count - 200)), dir, "t.gguf"))) {
            XCTAssertTrue($0 is GGUFError)
        }
    }
}
