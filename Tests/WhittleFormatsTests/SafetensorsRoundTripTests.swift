import Foundation
import WhittleFormats
import WhittleTensor
import XCTest

final class SafetensorsRoundTripTests: XCTestCase {
    /// One tensor of every Whittle dtype with distinctive bytes, plus a scalar and an empty tensor.
    private func sampleTensors() throws -> [(name: String, tensor: Tensor)] {
        [
            ("w.f32", try Tensor(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-20, -7])),
            ("b.f64", try rawTensor([2], .f64, leBytes([Double(1.25).bitPattern, Double(-3e300).bitPattern]))),
            ("h.f16", try rawTensor([3], .f16, leBytes([UInt16(0x3C00), 0xC000, 0x7BFF]))),
            ("g.bf16", try rawTensor([2], .bf16, leBytes([UInt16(0x3F80), 0xC040]))),
            ("q.i8", try rawTensor([3], .i8, [0x80, 0xFF, 0x7F])),
            ("m.u8", try rawTensor([1, 3], .u8, [0, 128, 255])),
            ("n.i32", try rawTensor([2], .i32, leBytes([Int32.min, 5]))),
            ("k.i64", try rawTensor([1], .i64, leBytes([Int64(-(1 << 40))]))),
            ("z.bool", try rawTensor([3], .bool, [1, 0, 1])),
            ("s.scalar", try Tensor(shape: [], values: [4.5])),
            ("e.empty", try Tensor(zeros: [0, 4])),
        ]
    }

    private func bytes(_ t: Tensor) -> [UInt8] { Array(UnsafeRawBufferPointer(start: t.storage.bytes, count: t.byteCount)) }

    func testRoundTripEveryDTypeShapeAndMetadata() throws {
        let dir = try makeTempDir(self)
        let path = dir + "/all.safetensors"
        let tensors = try sampleTensors()
        let meta = ["whittle.version": "0.1", "note": "quote \" and \\ and\nnewline, größe 😀"]
        try Safetensors.write(tensors, metadata: meta, to: path)
        let f = try SafetensorsFile.open(path)
        XCTAssertEqual(f.metadata, meta)
        XCTAssertEqual(Set(f.entries.map(\.name)), Set(tensors.map(\.name)))
        for (name, t) in tensors {
            let r = try f.tensor(named: name)
            XCTAssertEqual(r.shape, t.shape, name)
            XCTAssertEqual(r.dtype, t.dtype, name)
            XCTAssertEqual(bytes(r), bytes(t), name)
            XCTAssertTrue(r.storage.isReadOnly, "\(name) should borrow the read-only mapping")
        }
        XCTAssertEqual(try f.tensors().map(\.name), f.entries.map(\.name))
    }

    func testWriterOrderAndPaddingMatchTheReference() throws {
        let tensors = try sampleTensors()
        let image = try Safetensors.serialize(tensors, metadata: [:])
        let h = try image.withUnsafeBytes { try SafetensorsHeader.parse($0) }
        // Descending dtype rank (I64, F64, F32, I32, BF16, F16, I8, U8, BOOL), then name.
        XCTAssertEqual(h.entries.map(\.name), ["k.i64", "b.f64", "e.empty", "s.scalar", "w.f32", "n.i32",
                                               "g.bf16", "h.f16", "q.i8", "m.u8", "z.bool"])
        XCTAssertEqual(h.dataOffset % 8, 0)
        XCTAssertEqual(image[h.dataOffset - 1], 0x20, "header padded with spaces")
        for e in h.entries { XCTAssertEqual((h.dataOffset + e.byteRange.lowerBound) % (e.dtype?.size ?? 1), 0, e.name) }
    }

    func testEmptyFileLikeTheReference() throws {
        // The reference writes exactly these bytes for no tensors and no metadata.
        XCTAssertEqual(try Safetensors.serialize([], metadata: [:]), [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
        let withMeta = try Safetensors.serialize([], metadata: ["framework": "pt"])
        XCTAssertEqual(Array(withMeta[8...]), Array(#"{"__metadata__":{"framework":"pt"}}     "#.utf8))
    }

    func testMisalignedForeignDataIsCopiedIntoAlignedStorage() throws {
        // A U8 tensor of 1 byte followed by F32 data at offset 1: legal, but misaligned.
        var header = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}"#
        while (header.utf8.count + 8) % 8 != 0 { header += " " }
        let dir = try makeTempDir(self)
        let path = try writeFile(safetensorsImage(header: header, data: [9] + floatBytes([1.5, -2])), dir, "m.safetensors")
        let b = try SafetensorsFile.open(path).tensor(named: "b")
        XCTAssertEqual(Int(bitPattern: b.storage.bytes) % 4, 0)
        XCTAssertEqual(b.toArray(), [1.5, -2])
    }

    func testTensorOutlivesTheFileValue() throws {
        let dir = try makeTempDir(self)
        let path = dir + "/x.safetensors"
        try Safetensors.write([("x", try Tensor(shape: [3], values: [1, 2, 3]))], metadata: [:], to: path)
        var t: Tensor? = try SafetensorsFile.open(path).tensor(named: "x")
        XCTAssertEqual(t?.toArray(), [1, 2, 3])
        t?.makeWritable()
        t?.floats[0] = 10
        XCTAssertEqual(t?.toArray(), [10, 2, 3])
        XCTAssertEqual(try SafetensorsFile.open(path).tensor(named: "x").toArray(), [1, 2, 3], "file unchanged")
        t = nil
    }

    func testWriteRejectsReservedAndDuplicateNames() throws {
        let t = try Tensor(shape: [1], values: [1])
        assertThrows(SafetensorsError.invalidWrite("tensor name 'a' is used twice"),
                     message: "safetensors: cannot write: tensor name 'a' is used twice") {
            _ = try Safetensors.serialize([("a", t), ("a", t)], metadata: [:])
        }
        assertThrows(SafetensorsError.invalidWrite("'__metadata__' is reserved and cannot name a tensor")) {
            _ = try Safetensors.serialize([("__metadata__", t)], metadata: [:])
        }
    }
}
