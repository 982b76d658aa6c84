import Foundation
import XCTest

/// `whittle inspect` on GGUF files, end to end on the built binary.
final class InspectGGUFTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WhittleFormatsTests/Fixtures").path

    func testInspectShowsHeaderMetadataTensorsAndTotals() throws {
        let r = try CLI.run(["inspect", fixtures + "/gguf_all_types.gguf"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in ["GGUF v3, alignment 32, 28 keys, 15 tensors, data at byte 1856",
                     "test.arr_str          arr[str]   [str x 4: \"a\", \"\", \"ü\", \"<0x0A>\"]",
                     "q4_k.weight     Q4_K                   [2, 256]     288    2944",
                     "iq2_xxs.weight  IQ2_XXS (unsupported)  [1, 256]      66    3456",
                     "Q4_0           1       128     72        4.500",
                     "total         15      1843   1472        6.390"] {
            XCTAssertTrue(r.stdout.contains(line), "missing \(line) in:\n\(r.stdout)")
        }
    }

    func testLongArraysAreElided() throws {
        let r = try CLI.run(["inspect", fixtures + "/imatrix_small.gguf"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("imatrix.datasets     arr[str]  [str x 1: \"calib.txt\"]"), r.stdout)
        let dir = try CLI.tempDirectory()
        // 100 tokens in one array: only the first 8 are shown.
        var image = Array("GGUF".utf8) + le(UInt32(3)) + le(Int64(0)) + le(Int64(1))
        image += le(UInt64(3)) + Array("tok".utf8) + le(UInt32(9)) + le(UInt32(5)) + le(UInt64(100))
        for i in 0..<100 { image += le(Int32(i)) }
        FileManager.default.createFile(atPath: dir + "/long.gguf", contents: Data(image))
        let l = try CLI.run(["inspect", dir + "/long.gguf"])
        XCTAssertEqual(l.status, 0, l.stderr)
        XCTAssertTrue(l.stdout.contains("[i32 x 100: 0, 1, 2, 3, 4, 5, 6, 7, ...]"), l.stdout)
    }

    func testMalformedGGUFExitsNonZeroWithTheTypedMessage() throws {
        let dir = try CLI.tempDirectory()
        let good = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/gguf_align64.gguf"))
        FileManager.default.createFile(atPath: dir + "/cut.gguf", contents: good.prefix(good.count - 100))
        let r = try CLI.run(["inspect", dir + "/cut.gguf"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("cut.gguf: gguf: tensor 'b.weight' data ends at byte 422, past the end of the 412-byte file"), r.stderr)
        var v1 = Array(good)
        v1[4] = 1
        FileManager.default.createFile(atPath: dir + "/noext", contents: Data(v1))
        let old = try CLI.run(["inspect", dir + "/noext"])
        XCTAssertNotEqual(old.status, 0)
        XCTAssertTrue(old.stderr.contains("gguf: version 1 is no longer supported"), old.stderr)
    }

    private func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}
