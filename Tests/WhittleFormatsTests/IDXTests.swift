import Foundation
import WhittleFormats
import WhittleTensor
import XCTest

final class IDXTests: XCTestCase {
    private func bigEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    }

    func testEveryElementTypeRawAndGzip() throws {
        let cases: [(UInt8, [UInt8], DType, [Float])] = [
            (0x08, [0, 7, 255], .u8, [0, 7, 255]),
            (0x09, [0x80, 0xFF, 5], .i8, [-128, -1, 5]),
            (0x0B, bigEndian([Int16(-300), 2, Int16.max]), .i32, [-300, 2, 32767]),
            (0x0C, bigEndian([Int32(-70000), 1, Int32.min]), .i32, [-70000, 1, -2147483648]),
            (0x0D, bigEndian([Float(1.5).bitPattern, Float(-0.25).bitPattern, Float(1e10).bitPattern]), .f32, [1.5, -0.25, 1e10]),
            (0x0E, bigEndian([Double(2.5).bitPattern, Double(-8).bitPattern, Double(1e-3).bitPattern]), .f64, [2.5, -8, 1e-3]),
        ]
        for (code, data, dtype, values) in cases {
            let image = idxImage(code: code, dims: [3], data: data)
            for bytes in [image, gzip(image)] {
                let r = try IDX.parse(bytes)
                XCTAssertEqual(r.shape, [3], "code \(code)")
                XCTAssertEqual(r.dtype, dtype, "code \(code)")
                XCTAssertEqual(r.data.toArray(), values, "code \(code)")
            }
        }
    }

    func testMultiDimensionalAndEmpty() throws {
        let r = try IDX.parse(gzip(idxImage(code: 0x08, dims: [2, 2, 3], data: Array(0..<12))))
        XCTAssertEqual(r.shape, [2, 2, 3])
        XCTAssertEqual(r.data.toArray(), (0..<12).map(Float.init))
        XCTAssertEqual(try IDX.parse(idxImage(code: 0x08, dims: [0, 28, 28], data: [])).shape, [0, 28, 28])
        XCTAssertEqual(try IDX.parse(idxImage(code: 0x0D, dims: [], data: bigEndian([Float(3).bitPattern]))).data.toArray(), [3])
    }

    func testBadMagic() {
        assertThrows(IDXError.badMagic("01 00 08 01"), message: "IDX: bad magic number 01 00 08 01 (expected 00 00 <type> <dims>)") {
            _ = try IDX.parse([1, 0, 8, 1, 0, 0, 0, 0])
        }
        assertThrows(IDXError.unknownTypeCode(0x0A), message: "IDX: unknown element type code 0xA") {
            _ = try IDX.parse(idxImage(code: 0x0A, dims: [1], data: [0]))
        }
        assertThrows(IDXError.badMagic("50 4B 03 04")) { _ = try IDX.parse(gzip([0x50, 0x4B, 3, 4, 0, 0])) }
    }

    func testTruncatedAndOverlongRaw() {
        let image = idxImage(code: 0x08, dims: [2, 3], data: [1, 2, 3, 4, 5, 6])
        assertThrows(IDXError.lengthMismatch(expected: 18, actual: 17),
                     message: "IDX: header declares 18 bytes in total but the file has 17") { _ = try IDX.parse(Array(image.dropLast())) }
        assertThrows(IDXError.lengthMismatch(expected: 18, actual: 19)) { _ = try IDX.parse(image + [0]) }
        assertThrows(IDXError.tooShort(bytes: 10), message: "IDX: file of 10 bytes is too short for its header") {
            _ = try IDX.parse(Array(image.prefix(10)))
        }
        assertThrows(IDXError.tooShort(bytes: 2)) { _ = try IDX.parse([0, 0]) }
    }

    func testTruncatedAndOverlongGzip() throws {
        let image = idxImage(code: 0x08, dims: [1000], data: (0..<1000).map { UInt8($0 % 251) })
        let z = gzip(image, level: 0)
        // Cut inside the deflate data: the payload ends early.
        assertThrows(IDXError.truncated(expected: 1000),
                     message: "IDX: data ends before the 1000 bytes the header declares (truncated file)") {
            _ = try IDX.parse(Array(z.prefix(z.count / 2)))
        }
        // Cut inside the gzip trailer (CRC and length): the stream itself is incomplete.
        assertThrows(IDXError.gzip(.truncated)) { _ = try IDX.parse(Array(z.dropLast(3))) }
        // More data in the stream than the header declares.
        assertThrows(IDXError.trailingData(expected: 1000)) { _ = try IDX.parse(gzip(image + [1, 2, 3])) }
        // Junk after the gzip member.
        assertThrows(IDXError.gzip(.trailingData)) { _ = try IDX.parse(z + [0x00]) }
        // A corrupted CRC.
        var bad = z
        bad[bad.count - 8] ^= 0xFF
        XCTAssertThrowsError(try IDX.parse(bad)) { e in
            XCTAssertEqual("\(e)", "IDX: gzip: corrupt data (incorrect data check)")
        }
    }

    func testHeaderClaimingAHugeSizeIsRefusedWithoutAllocatingIt() {
        // 4 x 65536^3 claims 2^50 bytes: refused by the size limit before any inflation.
        let claim = idxImage(code: 0x0D, dims: [65536, 65536, 65536], data: [])
        assertThrows(IDXError.tooLarge(bytes: "65536 x 65536 x 65536 elements of 4", limit: IDX.maxDataBytes)) { _ = try IDX.parse(gzip(claim)) }
        // 1 GiB claimed by a tiny stream: more than deflate could ever expand to.
        let big = idxImage(code: 0x08, dims: [1 << 30], data: [0, 0, 0])
        assertThrows(IDXError.truncated(expected: 1 << 30)) { _ = try IDX.parse(gzip(big)) }
    }

    func testGzipBombIsCutAtTheDeclaredSize() {
        // 64 MiB of zeros compresses to ~64 KiB; the header declares only 16 bytes.
        let image = idxImage(code: 0x08, dims: [16], data: [UInt8](repeating: 0, count: 64 << 20))
        assertThrows(IDXError.trailingData(expected: 16)) { _ = try IDX.parse(gzip(image, level: 9)) }
    }

    func testConcatenatedGzipMembers() throws {
        let image = idxImage(code: 0x08, dims: [4], data: [1, 2, 3, 4])
        let r = try IDX.parse(gzip(Array(image.prefix(6))) + gzip(Array(image.dropFirst(6))))
        XCTAssertEqual(r.data.toArray(), [1, 2, 3, 4])
    }

    func testReadFromDiskAndMissingFile() throws {
        let dir = try makeTempDir(self)
        let path = try writeFile(gzip(idxImage(code: 0x08, dims: [2], data: [9, 8])), dir, "l.idx1-ubyte.gz")
        XCTAssertEqual(try IDX.read(path).data.toArray(), [9, 8])
        XCTAssertThrowsError(try IDX.read(dir + "/none")) { e in
            XCTAssertEqual("\(e)", "cannot open '\(dir)/none': No such file or directory")
        }
    }
}
