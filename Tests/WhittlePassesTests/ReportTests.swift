import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class ReportTests: XCTestCase {
    func testBytesAreWhatTheEncodingsStoreAndRatiosUseTheBaseline() throws {
        let base = try ShareFixtures.mlp([16, 32, 3])
        let m = try base.clone()
        let w = try XCTUnwrap(m.parameter(named: "0.weight"))
        try w.setMask(try Tensor(shape: w.value.shape, values: (0..<w.count).map { $0 % 10 == 0 ? 1 : 0 }))
        _ = try ShareFixtures.registry().run("share.kmeans", on: m, options: ["bits": .integer(3), "targets": .string("0.weight")])
        let data = try ShareFixtures.blobs(n: 30, features: 16)
        let r = try CompressionReport.measure(m, baseline: base, data: data)
        XCTAssertEqual(r.rows.map(\.layer), ["0", "2"])
        let enc = try XCTUnwrap(w.encoding as? CodebookEncoding)
        XCTAssertEqual(r.rows[0].bytes, enc.byteCount + 4 * 32, "codebook weight + f32 bias")
        XCTAssertEqual(r.rows[0].nonzeros, w.value.toArray().filter { $0 != 0 }.count + m.parameter(named: "0.bias")!.value.toArray().filter { $0 != 0 }.count)
        XCTAssertEqual(r.rows[1].bytes, 4 * (32 * 3 + 3))
        XCTAssertEqual(r.rows[0].baselineBytes, 4 * (16 * 32 + 32))
        XCTAssertEqual(r.total.bytes, r.rows[0].bytes + r.rows[1].bytes)
        XCTAssertEqual(r.total.ratio, Double(4 * (16 * 32 + 32 + 32 * 3 + 3)) / Double(r.total.bytes), accuracy: 1e-12)
        XCTAssertEqual(r.rows[0].formats, "codebook,f32")
        XCTAssertLessThanOrEqual(r.total.huffmanBytes, r.total.bytes)
        XCTAssertEqual(r.rows[1].huffmanBytes, r.rows[1].bytes, "dense f32 layers have nothing to entropy-code")
        XCTAssertEqual(r.errors, try evaluate(m, data).errors)
        XCTAssertEqual(r.baselineErrors, try evaluate(base, data).errors)
        XCTAssertTrue(r.description.contains("size: \(r.total.baselineBytes) -> \(r.total.bytes) bytes"))
    }

    /// Huffman size = coded index and position streams + codebook + one byte per code-table entry.
    func testHuffmanSizeIsComputedFromTheStreams() throws {
        let m = try ShareFixtures.mlp([64, 64])
        let w = try XCTUnwrap(m.parameter(named: "0.weight"))
        // Mostly one value: the index stream is very skewed, so entropy coding pays off.
        for i in 0..<w.count { w.value.floats[i] = i % 16 == 0 ? Float(i % 7) : 0.5 }
        _ = try ShareFixtures.registry().run("share.kmeans", on: m, options: ["bits": .integer(3), "targets": .string("0.weight")])
        let enc = try XCTUnwrap(w.encoding as? CodebookEncoding)
        XCTAssertEqual(enc.gapBits, 0)
        let bits = Huffman.encodedBits(Huffman.frequencies(try enc.indexCodes(), alphabet: 1 << enc.indexBits))
        let expected = (bits + 7) / 8 + 4 * enc.codebook.count + (1 << enc.indexBits) + 4 * 64
        let r = try CompressionReport.measure(m)
        XCTAssertEqual(r.rows[0].huffmanBytes, expected)
        XCTAssertLessThan(r.rows[0].huffmanBytes, r.rows[0].bytes)
    }

    func testTiedTensorsCountOnce() throws {
        let m = try ShareFixtures.mlp([8, 8, 8])
        let before = try CompressionReport.measure(m).total.bytes
        _ = try ShareFixtures.registry().run("share.tie", on: m, options: ["targets": .strings(["0.weight", "2.weight"])])
        let r = try CompressionReport.measure(m)
        XCTAssertEqual(r.total.bytes, before - 8 * 8 * 4)
        XCTAssertEqual(r.rows[1].formats, "tied,f32")
    }
}
