import WhittleFormats
import XCTest

/// One test per rule the reference reader enforces, each with the exact message.
final class SafetensorsValidationTests: XCTestCase {
    private func parse(_ bytes: [UInt8]) throws -> SafetensorsHeader {
        try bytes.withUnsafeBytes { try SafetensorsHeader.parse($0) }
    }

    private func expect(_ bytes: [UInt8], _ error: SafetensorsError, _ message: String,
                        file: StaticString = #filePath, line: UInt = #line) {
        assertThrows(error, message: message, file: file, line: line) { _ = try parse(bytes) }
    }

    private let f32x2 = #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#

    func testValidMinimalFileParses() throws {
        let h = try parse(safetensorsImage(header: "{\(f32x2)}", data: floatBytes([1, 2])))
        XCTAssertEqual(h.entries.map(\.name), ["a"])
        XCTAssertEqual(h.entries[0].shape, [2])
        XCTAssertEqual(h.entries[0].byteRange, 0..<8)
        XCTAssertEqual(h.dataOffset, 8 + f32x2.utf8.count + 2)
    }

    func testFileShorterThanLengthField() {
        expect([1, 0, 0], .fileTooSmall(bytes: 3), "safetensors: file is 3 bytes, too small for the 8-byte header length")
        expect([], .fileTooSmall(bytes: 0), "safetensors: file is 0 bytes, too small for the 8-byte header length")
    }

    func testHeaderOverHundredMegabytes() {
        expect(safetensorsImage(header: "{}", declaredLength: 100_000_001), .headerTooLarge(bytes: 100_000_001),
               "safetensors: header length 100000001 exceeds the 100000000-byte limit")
        expect(safetensorsImage(header: "{}", declaredLength: UInt64.max), .headerTooLarge(bytes: UInt64.max),
               "safetensors: header length 18446744073709551615 exceeds the 100000000-byte limit")
    }

    func testHeaderLongerThanFile() {
        expect(safetensorsImage(header: "{}", declaredLength: 50), .headerBeyondFile(headerBytes: 50, fileBytes: 10),
               "safetensors: header length 50 runs past the end of the 10-byte file")
    }

    func testHeaderNotUTF8() {
        var bytes = safetensorsImage(header: "{\"\u{e9}\":1}")
        bytes[10] = 0xFF
        expect(bytes, .headerNotUTF8, "safetensors: header is not valid UTF-8")
    }

    func testHeaderNotStartingWithBrace() {
        expect(safetensorsImage(header: " {}"), .headerNotObject, "safetensors: header does not start with '{'")
        expect(safetensorsImage(header: "[]"), .headerNotObject, "safetensors: header does not start with '{'")
    }

    func testInvalidJSON() {
        expect(safetensorsImage(header: "{\"a\":}"), .invalidJSON("unexpected character at byte 5"),
               "safetensors: header is not a valid JSON object: unexpected character at byte 5")
        expect(safetensorsImage(header: "{} x"), .invalidJSON("unexpected trailing characters at byte 3"),
               "safetensors: header is not a valid JSON object: unexpected trailing characters at byte 3")
    }

    func testDeepNestingIsRejectedNotCrashing() {
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + "}"
        XCTAssertThrowsError(try parse(safetensorsImage(header: deep))) { e in
            XCTAssertEqual((e as? SafetensorsError)?.description, "safetensors: header is not a valid JSON object: nesting deeper than 128 at byte 132")
        }
    }

    func testDuplicateTensorName() {
        let h = "{\(f32x2),\(f32x2)}"
        expect(safetensorsImage(header: h, data: floatBytes([1, 2])), .duplicateTensor("a"),
               "safetensors: tensor 'a' appears more than once")
    }

    func testUnknownDType() {
        let h = #"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#
        expect(safetensorsImage(header: h, data: Array(repeating: 0, count: 16)), .unknownDType(tensor: "w", dtype: "F128"),
               "safetensors: tensor 'w' has unknown dtype 'F128'")
    }

    func testMalformedTensorInfo() {
        let cases: [(String, String)] = [
            (#"{"w":[1]}"#, "entry is not an object"),
            (#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, "missing field 'dtype'"),
            (#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, "missing field 'shape'"),
            (#"{"w":{"dtype":"F32","shape":[1]}}"#, "missing field 'data_offsets'"),
            (#"{"w":{"dtype":3,"shape":[1],"data_offsets":[0,4]}}"#, "'dtype' is not a string"),
            (#"{"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}"#, "'shape' is not an array"),
            (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "'shape' holds something other than a non-negative integer"),
            (#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, "'shape' holds something other than a non-negative integer"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, "'data_offsets' is not a pair of non-negative integers"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"dtype":"F32"}}"#, "duplicate field 'dtype'"),
        ]
        for (header, reason) in cases {
            expect(safetensorsImage(header: header, data: [0, 0, 0, 0]), .invalidTensorInfo(tensor: "w", reason: reason),
                   "safetensors: tensor 'w': \(reason)")
        }
    }

    func testUnknownFieldsAreIgnoredLikeTheReference() throws {
        let h = #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":{"x":[1]}}}"#
        XCTAssertEqual(try parse(safetensorsImage(header: h, data: [7])).entries.count, 1)
    }

    func testMetadataMustMapStringsToStrings() {
        expect(safetensorsImage(header: #"{"__metadata__":[1]}"#), .invalidMetadata("is not an object"),
               "safetensors: __metadata__ is not an object")
        expect(safetensorsImage(header: #"{"__metadata__":{"k":1}}"#), .invalidMetadata("value of 'k' is not a string"),
               "safetensors: __metadata__ value of 'k' is not a string")
        expect(safetensorsImage(header: #"{"__metadata__":{"k":"a","k":"b"}}"#), .invalidMetadata("has duplicate key 'k'"),
               "safetensors: __metadata__ has duplicate key 'k'")
        expect(safetensorsImage(header: #"{"__metadata__":{},"__metadata__":{}}"#), .invalidMetadata("appears more than once"),
               "safetensors: __metadata__ appears more than once")
    }

    func testOffsetsMustStartAtZero() {
        let h = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#
        expect(safetensorsImage(header: h, data: [0, 0, 0, 0]), .invalidOffsets(tensor: "a", start: 2, end: 4, expectedStart: 0),
               "safetensors: tensor 'a' has data_offsets [2, 4] but the previous tensor ends at 0 (a gap)")
    }

    func testGapBetweenTensors() {
        let h = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[3,4]}}"#
        expect(safetensorsImage(header: h, data: [0, 0, 0, 0]), .invalidOffsets(tensor: "b", start: 3, end: 4, expectedStart: 2),
               "safetensors: tensor 'b' has data_offsets [3, 4] but the previous tensor ends at 2 (a gap)")
    }

    func testOverlappingTensors() {
        let h = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#
        expect(safetensorsImage(header: h, data: [0, 0, 0]), .invalidOffsets(tensor: "b", start: 1, end: 3, expectedStart: 2),
               "safetensors: tensor 'b' has data_offsets [1, 3] but the previous tensor ends at 2 (an overlap)")
    }

    func testEndBeforeStart() {
        let h = #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"c":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}"#
        expect(safetensorsImage(header: h, data: [0]), .invalidOffsets(tensor: "c", start: 1, end: 0, expectedStart: 1),
               "safetensors: tensor 'c' has data_offsets [1, 0] with end before start")
    }

    func testTensorsAreOrderedByOffsetNotByHeaderPosition() throws {
        let h = #"{"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        XCTAssertEqual(try parse(safetensorsImage(header: h, data: [1, 2, 3])).entries.map(\.name), ["a", "b"])
    }

    func testShapeProductOverflow() {
        let h = #"{"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#
        expect(safetensorsImage(header: h), .sizeOverflow(tensor: "a"), "safetensors: tensor 'a': shape x dtype size overflows")
        let h2 = #"{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}"#
        expect(safetensorsImage(header: h2), .sizeOverflow(tensor: "a"), "safetensors: tensor 'a': shape x dtype size overflows")
        let h3 = #"{"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,0]}}"#
        expect(safetensorsImage(header: h3), .sizeOverflow(tensor: "a"), "safetensors: tensor 'a': shape x dtype size overflows")
    }

    func testOffsetsBeyondIntRangeAreALengthErrorNotATrap() {
        // Each tensor alone is representable (2^59 bytes), but 17 of them run past 2^63.
        let q = UInt64(1) << 59
        let parts = (0..<17).map { (k: UInt64) in
            "\"t\(k)\":{\"dtype\":\"U8\",\"shape\":[\(q)],\"data_offsets\":[\(k * q),\((k + 1) * q)]}"
        }
        expect(safetensorsImage(header: "{" + parts.joined(separator: ",") + "}"), .fileLengthMismatch(expectedBytes: Int.max, actualBytes: 0),
               "safetensors: tensors cover 9223372036854775807 data bytes but the file has 0")
    }

    func testByteLengthMustMatchShapeAndDType() {
        let h = #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#
        expect(safetensorsImage(header: h, data: Array(repeating: 0, count: 12)), .byteLengthMismatch(tensor: "a", expected: 16, actual: 12),
               "safetensors: tensor 'a' needs 16 bytes for its shape and dtype but its data_offsets span 12")
    }

    func testSubByteDTypeMustFillBytes() {
        let h = #"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"#
        expect(safetensorsImage(header: h, data: [0]), .misalignedTensor(tensor: "a"),
               "safetensors: tensor 'a': sub-byte elements do not fill a whole number of bytes")
    }

    func testFileLengthMustBeExact() {
        let header = "{\(f32x2)}"
        expect(safetensorsImage(header: header, data: floatBytes([1, 2]) + [0]), .fileLengthMismatch(expectedBytes: 8, actualBytes: 9),
               "safetensors: tensors cover 8 data bytes but the file has 9")
        expect(safetensorsImage(header: header, data: floatBytes([1])), .fileLengthMismatch(expectedBytes: 8, actualBytes: 4),
               "safetensors: tensors cover 8 data bytes but the file has 4")
    }

    func testOpenReportsMissingFileAndUnknownTensor() throws {
        XCTAssertThrowsError(try SafetensorsFile.open("/nonexistent/dir/x.safetensors")) { e in
            XCTAssertEqual("\(e)", "cannot open '/nonexistent/dir/x.safetensors': No such file or directory")
        }
        let dir = try makeTempDir(self)
        let path = try writeFile(safetensorsImage(header: "{\(f32x2)}", data: floatBytes([1, 2])), dir, "a.safetensors")
        let f = try SafetensorsFile.open(path)
        assertThrows(SafetensorsError.tensorNotFound("b"), message: "safetensors: no tensor named 'b'") { _ = try f.tensor(named: "b") }
    }
}
