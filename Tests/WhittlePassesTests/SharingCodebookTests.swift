import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class SharingCodebookTests: XCTestCase {
    func testBitPackingRoundTripsEveryWidth() throws {
        var g = SeededGenerator(seed: 2)
        for bits in 1...8 {
            for n in [0, 1, 7, 8, 9, 63, 1000] {
                let codes = (0..<n).map { _ in UInt32(g.next() % UInt64(1 << bits)) }
                let packed = try BitPacking.pack(codes, bits: bits)
                XCTAssertEqual(packed.count, (n * bits + 7) / 8, "\(bits) bits, \(n) codes")
                XCTAssertEqual(try BitPacking.unpack(packed, bits: bits, count: n), codes)
            }
        }
        XCTAssertEqual(try BitPacking.pack([1, 0, 1, 1], bits: 1), [0b1101], "LSB first")
        XCTAssertEqual(try BitPacking.pack([0x3, 0x1], bits: 4), [0x13])
    }

    func testBitPackingRejectsBadInput() {
        XCTAssertThrowsError(try BitPacking.pack([4], bits: 2))
        XCTAssertThrowsError(try BitPacking.pack([0], bits: 0))
        XCTAssertThrowsError(try BitPacking.unpack([0], bits: 3, count: 3))
    }

    func testDenseAndSparseLayoutsDecodeExactly() throws {
        let book: [Float] = [-0.5, 0.25, 1.0]
        var g = SeededGenerator(seed: 8)
        // Dense: no pruned entries.
        let dense = (0..<40).map { _ in Int32(g.next() % 3) }
        let d = try CodebookEncoding.encode(shape: [5, 8], codebook: book, assignments: dense)
        XCTAssertEqual(d.gapBits, 0)
        XCTAssertEqual(d.indexBits, 2)
        XCTAssertEqual(try d.decode().toArray(), dense.map { book[Int($0)] })
        XCTAssertEqual(d.byteCount, 10 + 12)
        // Sparse: 95% pruned with long runs, so relative positions and fillers are used.
        let n = 2000
        let sparse = (0..<n).map { i -> Int32 in (i * 7919) % 20 == 0 || i == n - 1 ? Int32(i % 3) : -1 }
        let s = try CodebookEncoding.encode(shape: [n], codebook: book, assignments: sparse)
        XCTAssertGreaterThan(s.gapBits, 0)
        XCTAssertEqual(try s.decode().toArray(), sparse.map { $0 < 0 ? 0 : book[Int($0)] })
        XCTAssertLessThan(s.byteCount, (n * 2 + 7) / 8, "sparse beats one 2-bit code per element")
        // A long gap needs fillers: one kept value at each end.
        let ends = (0..<n).map { $0 == 0 || $0 == n - 1 ? Int32(1) : -1 }
        let e = try CodebookEncoding.encode(shape: [n], codebook: book, assignments: ends)
        XCTAssertEqual(try e.decode().toArray(), ends.map { $0 < 0 ? 0 : book[1] })
        // Dense with pruned zeros: a zero code is appended to the codebook.
        let mixed: [Int32] = [0, -1, 1, 2, 0, 1, -1, 2]
        let m = try CodebookEncoding.encode(shape: [8], codebook: book, assignments: mixed)
        XCTAssertEqual(try m.decode().toArray(), mixed.map { $0 < 0 ? 0 : book[Int($0)] })
    }

    func testCorruptPartsAreRejected() {
        XCTAssertThrowsError(try CodebookEncoding(shape: [4], codebook: [1, 2, 3], indexBits: 1, gapBits: 0, entries: 4, indexBytes: [0], gapBytes: []))
        XCTAssertThrowsError(try CodebookEncoding(shape: [4], codebook: [1, 2], indexBits: 1, gapBits: 0, entries: 3, indexBytes: [0], gapBytes: []))
        // A position past the end of the tensor.
        XCTAssertThrowsError(try CodebookEncoding(shape: [2], codebook: [1, 2], indexBits: 1, gapBits: 2, entries: 2, indexBytes: [0], gapBytes: [0b0010]).decode())
        XCTAssertThrowsError(try CodebookEncoding.encode(shape: [2], codebook: [1], assignments: [0, 1]))
    }

    func testSavedSharedModelIsSmallerAndLoadsToIdenticalOutputs() throws {
        let m = try ShareFixtures.mlp([16, 64, 3])
        let w = try XCTUnwrap(m.parameter(named: "0.weight"))
        var g = SeededGenerator(seed: 4)
        try w.setMask(try Tensor(shape: w.value.shape, values: (0..<w.count).map { _ in g.uniform() < 0.1 ? 1 : 0 }))
        let densePath = ShareFixtures.tempPath(self, "dense.safetensors"), path = ShareFixtures.tempPath(self, "shared.safetensors")
        try m.save(to: densePath)
        _ = try ShareFixtures.registry().run("share.kmeans", on: m, options: ["bits": .integer(4)])
        try m.save(to: path)
        let size = { (p: String) in try XCTUnwrap(FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) }
        XCTAssertLessThan(try size(path) * 3, try size(densePath), "codebook + packed indices are really smaller on disk")
        let loaded = try Model.load(path)
        XCTAssertTrue(loaded.parameter(named: "0.weight")?.encoding is CodebookEncoding)
        let x = try ShareFixtures.blobs(n: 10, features: 16).images
        XCTAssertEqual(try loaded.forward(x).toArray(), try m.forward(x).toArray())
    }
}
