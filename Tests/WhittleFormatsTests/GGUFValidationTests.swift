import Foundation
import WhittleFormats
import WhittleKernels
import XCTest

/// Hand-built GGUF images, for malformed files that no writer produces.
struct GGUFImage {
    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var tensorCount: Int64?
    var kvCount: Int64?
    var kvs: [[UInt8]] = []
    var tensors: [[UInt8]] = []
    var alignment = 32
    var data: [UInt8] = []
    var padHeader = true

    static func str(_ s: String) -> [UInt8] { str(Array(s.utf8)) }
    static func str(_ b: [UInt8]) -> [UInt8] { leBytes([UInt64(b.count)]) + b }
    static func kv(_ key: String, _ type: UInt32, _ payload: [UInt8]) -> [UInt8] { str(key) + leBytes([type]) + payload }
    static func kv(_ key: [UInt8], _ type: UInt32, _ payload: [UInt8]) -> [UInt8] { str(key) + leBytes([type]) + payload }
    static func tensor(_ name: String, _ dims: [Int64], type: UInt32 = 0, offset: UInt64 = 0) -> [UInt8] {
        tensor(Array(name.utf8), dims, type: type, offset: offset)
    }
    static func tensor(_ name: [UInt8], _ dims: [Int64], type: UInt32 = 0, offset: UInt64 = 0) -> [UInt8] {
        str(name) + leBytes([UInt32(dims.count)]) + leBytes(dims) + leBytes([type]) + leBytes([offset])
    }

    var bytes: [UInt8] {
        var b = magic + leBytes([version]) + leBytes([tensorCount ?? Int64(tensors.count)]) + leBytes([kvCount ?? Int64(kvs.count)])
        for k in kvs { b += k }
        for t in tensors { b += t }
        if padHeader { b += [UInt8](repeating: 0, count: (alignment - b.count % alignment) % alignment) }
        return b + data
    }
}

/// One test per rule of the reader (llama.cpp's gguf.cpp rules and Whittle's extra ones), each asserting
/// the exact typed error and its message.
final class GGUFValidationTests: XCTestCase {
    private func parse(_ image: GGUFImage) throws -> GGUFHeader { try parse(image.bytes) }
    private func parse(_ bytes: [UInt8]) throws -> GGUFHeader { try bytes.withUnsafeBytes { try GGUFHeader.parse($0) } }

    private func refuses(_ image: GGUFImage, _ error: GGUFError, _ message: String, line: UInt = #line) {
        assertThrows(error, message: message, line: line) { _ = try parse(image) }
    }

    private let f32x8 = GGUFImage.tensor("t", [8])

    func testAValidMinimalImageParses() throws {
        var img = GGUFImage(kvs: [GGUFImage.kv("k", 4, leBytes([UInt32(5)]))], tensors: [f32x8])
        img.data = [UInt8](repeating: 0, count: 32)
        let h = try parse(img)
        XCTAssertEqual(h.metadata["k"], .uint32(5))
        XCTAssertEqual(h.tensorInfos.first?.shape, [8])
        XCTAssertEqual(h.dataOffset % 32, 0)
    }

    func testTruncatedHeader() {
        assertThrows(GGUFError.truncated(what: "the version", offset: 6), message: "gguf: file ends at byte 6 while reading the version") {
            _ = try parse(Array("GGUF".utf8) + [3, 0])
        }
        assertThrows(GGUFError.truncated(what: "the magic", offset: 0)) { _ = try parse([]) }
        var img = GGUFImage(kvs: [GGUFImage.kv("k", 4, [1, 0])])
        img.padHeader = false
        refuses(img, .truncated(what: "the value of key 'k'", offset: 39), "gguf: file ends at byte 39 while reading the value of key 'k'")
    }

    func testBadMagic() {
        refuses(GGUFImage(magic: Array("GGML".utf8)), .badMagic(Array("GGML".utf8)), "gguf: bad magic 'GGML', expected 'GGUF'")
    }

    func testVersions() throws {
        refuses(GGUFImage(version: 1), .unsupportedVersion(1), "gguf: version 1 is no longer supported (llama.cpp refuses it too)")
        refuses(GGUFImage(version: 4), .unsupportedVersion(4), "gguf: unsupported version 4 (Whittle reads versions 2 and 3)")
        refuses(GGUFImage(version: 0), .unsupportedVersion(0), "gguf: unsupported version 0 (Whittle reads versions 2 and 3)")
        refuses(GGUFImage(version: 0x0300_0000), .bigEndian(version: 0x0300_0000),
                "gguf: version field reads 50331648: a big-endian file, which this little-endian host cannot use")
        XCTAssertEqual(try parse(GGUFImage(version: 2)).version, 2)
    }

    func testHugeCounts() {
        refuses(GGUFImage(tensorCount: 1 << 40), .tensorCountOutOfRange(1 << 40, remainingBytes: 16),
                "gguf: tensor count 1099511627776 is impossible with 16 bytes left in the file")
        refuses(GGUFImage(tensorCount: -1), .tensorCountOutOfRange(-1, remainingBytes: 16),
                "gguf: tensor count -1 is impossible with 16 bytes left in the file")
        refuses(GGUFImage(kvCount: Int64.max), .metadataCountOutOfRange(Int64.max, remainingBytes: 8),
                "gguf: key-value count 9223372036854775807 is impossible with 8 bytes left in the file")
    }

    func testEmptyAndDuplicateKeys() {
        refuses(GGUFImage(kvs: [GGUFImage.kv("", 0, [1])]), .emptyKey(index: 0), "gguf: key 0 is empty")
        refuses(GGUFImage(kvs: [GGUFImage.kv("a", 0, [1]), GGUFImage.kv("a", 0, [2])]), .duplicateKey("a"),
                "gguf: key 'a' appears more than once")
    }

    func testUnknownValueTypes() {
        refuses(GGUFImage(kvs: [GGUFImage.kv("k", 13, [0, 0, 0, 0])]), .unknownValueType(key: "k", type: 13),
                "gguf: key 'k' has unknown value type 13")
        refuses(GGUFImage(kvs: [GGUFImage.kv("k", 9, leBytes([UInt32(99)]) + leBytes([UInt64(0)]))]),
                .unknownValueType(key: "k", type: 99), "gguf: key 'k' has unknown value type 99")
    }

    func testHugeStringLengths() {
        refuses(GGUFImage(kvs: [GGUFImage.kv("k", 8, leBytes([UInt64(1) << 31]))]),
                .stringTooLong(context: "the value of key 'k'", length: 1 << 31),
                "gguf: the value of key 'k': string length 2147483648 exceeds the limit of 1073741824")
        var img = GGUFImage(kvs: [GGUFImage.kv("k", 8, leBytes([UInt64(1000)]) + [65])])
        img.padHeader = false
        refuses(img, .stringBeyondFile(context: "the value of key 'k'", length: 1000, remainingBytes: 1),
                "gguf: the value of key 'k': string length 1000 runs past the end of the file (1 bytes left)")
        refuses(GGUFImage(kvs: [leBytes([UInt64.max])], data: [UInt8](repeating: 0, count: 16)), .stringTooLong(context: "key 0", length: .max),
                "gguf: key 0: string length 18446744073709551615 exceeds the limit of 1073741824")
    }

    func testHugeArrayCounts() {
        refuses(GGUFImage(kvs: [GGUFImage.kv("k", 9, leBytes([UInt32(0)]) + leBytes([UInt64(1) << 40]))]),
                .arrayTooLong(key: "k", count: 1 << 40), "gguf: key 'k': array of 1099511627776 elements exceeds the limit of 1073741824")
        var img = GGUFImage(kvs: [GGUFImage.kv("k", 9, leBytes([UInt32(8)]) + leBytes([UInt64(1000)]))])
        img.padHeader = false
        refuses(img, .arrayBeyondFile(key: "k", count: 1000, remainingBytes: 0),
                "gguf: key 'k': array of 1000 elements cannot fit in the 0 bytes left in the file")
    }

    func testArrayNestingIsBounded() throws {
        func nested(_ depth: Int) -> [UInt8] {
            // depth arrays of one array each, the innermost holding one u8.
            var body = leBytes([UInt32(0)]) + leBytes([UInt64(1)]) + [7]
            for _ in 1..<depth { body = leBytes([UInt32(9)]) + leBytes([UInt64(1)]) + body }
            return body
        }
        let ok = try parse(GGUFImage(kvs: [GGUFImage.kv("k", 9, nested(4))]))
        XCTAssertEqual(ok.metadata["k"], .array(.array([.array([.array([.uint8([7])])])])))
        refuses(GGUFImage(kvs: [GGUFImage.kv("k", 9, nested(5))]), .arrayNestingTooDeep(key: "k", depth: 5),
                "gguf: key 'k': arrays nested 5 deep (at most 4)")
    }

    func testInvalidUTF8() {
        refuses(GGUFImage(kvs: [GGUFImage.kv([0xC3, 0x28], 0, [1])]), .invalidUTF8(context: "key 0"), "gguf: key 0 is not valid UTF-8")
        refuses(GGUFImage(kvs: [GGUFImage.kv("k", 8, GGUFImage.str([0xFF]))]), .invalidUTF8(context: "the value of key 'k'"),
                "gguf: the value of key 'k' is not valid UTF-8")
        refuses(GGUFImage(kvs: [GGUFImage.kv("k", 9, leBytes([UInt32(8)]) + leBytes([UInt64(2)]) + GGUFImage.str("a") + GGUFImage.str([0xED, 0xA0, 0x80]))]),
                .invalidUTF8(context: "element 1 of key 'k'"), "gguf: element 1 of key 'k' is not valid UTF-8")
        refuses(GGUFImage(tensors: [GGUFImage.tensor([0x80], [1])]), .invalidUTF8(context: "the name of tensor 0"),
                "gguf: the name of tensor 0 is not valid UTF-8")
    }

    func testBoolBytesOtherThanZeroOrOne() {
        refuses(GGUFImage(kvs: [GGUFImage.kv("b", 7, [2])]), .invalidBool(key: "b", byte: 2), "gguf: key 'b': bool stored as byte 2, expected 0 or 1")
    }

    func testAlignment() throws {
        refuses(GGUFImage(kvs: [GGUFImage.kv("general.alignment", 5, leBytes([Int32(32)]))]), .alignmentNotUInt32(type: .int32),
                "gguf: key 'general.alignment' must be of type u32 but is i32")
        refuses(GGUFImage(kvs: [GGUFImage.kv("general.alignment", 4, leBytes([UInt32(48)]))]), .badAlignment(48),
                "gguf: general.alignment 48 is not a power of two")
        refuses(GGUFImage(kvs: [GGUFImage.kv("general.alignment", 4, leBytes([UInt32(0)]))]), .badAlignment(0),
                "gguf: general.alignment 0 is not a power of two")
        var img = GGUFImage(kvs: [GGUFImage.kv("general.alignment", 4, leBytes([UInt32(8)]))], tensors: [f32x8], alignment: 8)
        img.data = [UInt8](repeating: 0, count: 32)
        XCTAssertEqual(try parse(img).alignment, 8)
    }

    func testTensorNames() {
        let long = String(repeating: "n", count: 64)
        refuses(GGUFImage(tensors: [GGUFImage.tensor(long, [1])]), .tensorNameTooLong(name: long, bytes: 64),
                "gguf: tensor name '\(long)' is 64 bytes (at most 63)")
        refuses(GGUFImage(tensors: [f32x8, f32x8]), .duplicateTensorName("t"), "gguf: tensor 't' appears more than once")
    }

    func testDimensions() {
        refuses(GGUFImage(tensors: [GGUFImage.tensor("t", [1, 1, 1, 1, 1])]), .tooManyDimensions(tensor: "t", count: 5),
                "gguf: tensor 't' has 5 dimensions (at most 4)")
        refuses(GGUFImage(tensors: [GGUFImage.tensor("t", [4, -2])]), .negativeDimension(tensor: "t", index: 1, value: -2),
                "gguf: tensor 't' dimension 1 is -2, which is negative")
        refuses(GGUFImage(tensors: [GGUFImage.tensor("t", [1 << 32, 1 << 32])]), .elementCountOverflow(tensor: "t", dims: [1 << 32, 1 << 32]),
                "gguf: tensor 't' with dimensions [4294967296, 4294967296] has more elements than a 64-bit count holds")
        refuses(GGUFImage(tensors: [GGUFImage.tensor("t", [1 << 62])]), .byteSizeOverflow(tensor: "t"),
                "gguf: tensor 't' is too large: its byte size overflows")
    }

    func testTensorTypes() {
        refuses(GGUFImage(tensors: [GGUFImage.tensor("t", [32], type: 4)]), .unknownTensorType(tensor: "t", type: 4),
                "gguf: tensor 't' has unknown ggml type 4")
        refuses(GGUFImage(tensors: [GGUFImage.tensor("t", [32], type: 1000)]), .unknownTensorType(tensor: "t", type: 1000),
                "gguf: tensor 't' has unknown ggml type 1000")
        refuses(GGUFImage(tensors: [GGUFImage.tensor("t", [31, 2], type: 2)]),
                .rowNotMultipleOfBlock(tensor: "t", type: "Q4_0", rowLength: 31, blockSize: 32),
                "gguf: tensor 't' of type Q4_0 has rows of 31 elements, not a multiple of the block size 32")
    }

    func testOffsets() {
        let two = [GGUFImage.tensor("a", [8]), GGUFImage.tensor("b", [8], offset: 0)]
        refuses(GGUFImage(tensors: two, data: [UInt8](repeating: 0, count: 64)), .overlappingOffset(tensor: "b", offset: 0, expected: 32),
                "gguf: tensor 'b' has offset 0 but the previous tensor's data ends at 32 (an overlap or out of order)")
        let gap = [GGUFImage.tensor("a", [8]), GGUFImage.tensor("b", [8], offset: 64)]
        refuses(GGUFImage(tensors: gap, data: [UInt8](repeating: 0, count: 96)), .gapBeforeTensor(tensor: "b", offset: 64, expected: 32),
                "gguf: tensor 'b' has offset 64, expected 32 (a gap after the previous tensor)")
        refuses(GGUFImage(tensors: [GGUFImage.tensor("a", [8], offset: 4)], data: [UInt8](repeating: 0, count: 64)),
                .misalignedOffset(tensor: "a", offset: 4, alignment: 32), "gguf: tensor 'a' has offset 4, not a multiple of the alignment 32")
    }

    func testDataOutsideTheFile() {
        let img = GGUFImage(tensors: [f32x8], data: [UInt8](repeating: 0, count: 31))
        refuses(img, .dataOutsideFile(tensor: "t", end: 96, fileBytes: 95), "gguf: tensor 't' data ends at byte 96, past the end of the 95-byte file")
        var short = GGUFImage(tensors: [GGUFImage.tensor("t", [0])])
        short.padHeader = false
        refuses(short, .dataSectionOutsideFile(start: 64, fileBytes: 57), "gguf: the data section would start at byte 64, past the end of the 57-byte file")
    }

    func testMalformedFileOnDiskFailsOpenWithTheTypedError() throws {
        let dir = try makeTempDir(self)
        let path = try writeFile(GGUFImage(version: 1).bytes, dir, "v1.gguf")
        assertThrows(GGUFError.unsupportedVersion(1)) { _ = try GGUFFile.open(path) }
    }
}
