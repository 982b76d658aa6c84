import Foundation
import WhittleFormats
import WhittleKernels
import WhittleTensor
import XCTest

/// The writer: byte-identical rewrites, Whittle tensors in their own types, edited metadata,
/// refusals before anything is written, and a committed file that gguf-py and llama.cpp opened.
final class GGUFWriterTests: XCTestCase {
    private func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    func testRewriteOfGGUFPyFilesIsByteIdentical() throws {
        let dir = try makeTempDir(self)
        for name in ["gguf_all_types.gguf", "gguf_align64.gguf"] {
            let f = try GGUFFile.open(fixturePath(name))
            let out = dir + "/" + name
            try GGUFWriter.write(f, to: out)
            XCTAssertEqual(try bytes(out), try bytes(fixturePath(name)), name)
            let tensors = try f.tensorInfos.map { try GGUFTensorPayload(name: $0.name, from: f) }
            XCTAssertEqual(try GGUFWriter.serialize(metadata: f.metadata, tensors: tensors), try bytes(fixturePath(name)), name)
        }
    }

    /// Tensors in every storable dtype (block types as raw blocks), a scalar, and metadata of several types.
    static func sampleContent() throws -> (GGUFMetadata, [(String, Tensor)]) {
        var m = GGUFMetadata()
        m["general.architecture"] = .string("whittle-test")
        m["general.name"] = .string("Whittle-written fixture")
        m["whittle.count"] = .uint32(7)
        m["whittle.scale"] = .float32(0.75)
        m["whittle.flag"] = .bool(true)
        m["whittle.ids"] = .array(.int32([3, -1, 4]))
        m["whittle.words"] = .array(.string(["one", "two", "ü"]))
        m["whittle.big"] = .uint64(1 << 40)
        m["whittle.precise"] = .float64(0.1)
        var pattern: [UInt8] { (0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) } }
        func raw(_ shape: [Int], _ dtype: DType) throws -> Tensor {
            let t = try Tensor(zeros: shape, dtype: dtype)
            return try rawTensor(shape, dtype, Array(pattern.prefix(t.byteCount)))
        }
        let tensors: [(String, Tensor)] = [
            ("token_embd.weight", try Tensor(shape: [3, 4], values: (0..<12).map { Float($0) - 5.5 })),
            ("blk.0.attn_norm.weight", try Tensor(shape: [4], values: [1, 0.5, -0.25, 2])),
            ("scalar", Tensor(scalar: 3.5)),
            ("f16", try raw([2, 3], .f16)),
            ("bf16", try raw([3], .bf16)),
            ("i8", try raw([5], .i8)),
            ("i32", try raw([2], .i32)),
            ("blk.0.ffn_up.weight", try raw([2, 64], .q8_0)),
            ("blk.0.ffn_down.weight", try raw([1, 32], .q4_0)),
            ("blk.0.attn_q.weight", try raw([2, 256], .q4_K)),
            ("blk.0.attn_v.weight", try raw([1, 256], .q6_K)),
            ("cube", try Tensor(zeros: [2, 1, 3])),
        ]
        return (m, tensors)
    }

    func testWhittleTensorsRoundTripInTheirOwnTypes() throws {
        let (m, tensors) = try Self.sampleContent()
        let path = try makeTempDir(self) + "/w.gguf"
        try GGUFWriter.write(metadata: m, tensors: try tensors.map { try GGUFTensorPayload(name: $0.0, tensor: $0.1) }, to: path)
        let f = try GGUFFile.open(path)
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(f.metadata, m)
        XCTAssertEqual(f.tensorInfos.map(\.name), tensors.map(\.0))
        for (name, t) in tensors {
            let back = try f.tensor(named: name)
            XCTAssertEqual(back.dtype, t.dtype, name)
            XCTAssertEqual(back.shape, t.rank == 0 ? [1] : t.shape, name)
            XCTAssertEqual(Array(UnsafeRawBufferPointer(start: back.storage.bytes, count: back.byteCount)),
                           Array(UnsafeRawBufferPointer(start: t.storage.bytes, count: t.byteCount)), name)
        }
        XCTAssertEqual(f.info(named: "blk.0.attn_q.weight")?.dims, [256, 2])
        XCTAssertEqual(f.tensorInfos.map(\.offset).allSatisfy { $0 % 32 == 0 }, true)
    }

    func testMetadataEditsArePreservedInOrder() throws {
        let dir = try makeTempDir(self)
        let f = try GGUFFile.open(fixturePath("gguf_align64.gguf"))
        var m = f.metadata
        m["general.name"] = .string("edited")
        m["general.architecture"] = .string("renamed")   // replaced in place, keeps its position
        m["general.alignment"] = .uint32(128)
        try GGUFWriter.write(f, metadata: m, to: dir + "/e.gguf")
        let g = try GGUFFile.open(dir + "/e.gguf")
        XCTAssertEqual(g.metadata.keys, ["general.architecture", "general.alignment", "general.name"])
        XCTAssertEqual(g.string("general.architecture"), "renamed")
        XCTAssertEqual(g.alignment, 128)
        XCTAssertEqual(g.tensorInfos.map(\.offset), [0, 128, 256])
        for info in f.tensorInfos { XCTAssertEqual(Array(g.rawBytes(of: g.info(named: info.name)!)), Array(f.rawBytes(of: info))) }
        m["general.name"] = nil
        XCTAssertEqual(m.keys, ["general.architecture", "general.alignment"])
    }

    func testInvalidRequestsAreRefusedAndLeaveTheDestinationAlone() throws {
        let dir = try makeTempDir(self)
        let path = try writeFile([1, 2, 3], dir, "keep.gguf")
        let t = try GGUFTensorPayload(name: "a", tensor: try Tensor(shape: [2], values: [1, 2]))
        func refuses(_ m: GGUFMetadata, _ ts: [GGUFTensorPayload], _ message: String, line: UInt = #line) {
            XCTAssertThrowsError(try GGUFWriter.write(metadata: m, tensors: ts, to: path), line: line) { e in
                XCTAssertEqual((e as? GGUFError)?.description, "gguf: cannot write: " + message, line: line)
            }
            XCTAssertEqual(try? bytes(path), [1, 2, 3], line: line)
        }
        refuses(GGUFMetadata(), [t, t], "tensor name 'a' is used twice")
        let long = String(repeating: "x", count: 64)
        refuses(GGUFMetadata(), [try GGUFTensorPayload(name: long, tensor: try Tensor(zeros: [1]))],
                "tensor name '\(long)' is 64 bytes (at most 63)")
        refuses(GGUFMetadata([("general.alignment", .uint32(48))]), [t], "gguf: general.alignment 48 is not a power of two")
        refuses(GGUFMetadata([("general.alignment", .int32(32))]), [t], "gguf: key 'general.alignment' must be of type u32 but is i32")
        refuses(GGUFMetadata([("", .bool(true))]), [], "a metadata key is empty")
        XCTAssertThrowsError(try GGUFTensorPayload(name: "u8", tensor: try Tensor(zeros: [2], dtype: .u8)))
        XCTAssertThrowsError(try GGUFTensorPayload(name: "r5", tensor: try Tensor(zeros: [1, 1, 1, 1, 2])))
        XCTAssertEqual(try bytes(path), [1, 2, 3])
    }

    /// Scripts/fixtures/check_whittle_gguf.py opened the committed file with gguf-py and llama.cpp.
    func testWhittleWrittenFileMatchesCommittedBytesAndOpensInGGUFPyAndLlamaCpp() throws {
        let (m, tensors) = try Self.sampleContent()
        let image = try GGUFWriter.serialize(metadata: m, tensors: try tensors.map { try GGUFTensorPayload(name: $0.0, tensor: $0.1) })
        if ProcessInfo.processInfo.environment["WHITTLE_WRITE_FIXTURES"] == "1" {
            try Data(image).write(to: URL(fileURLWithPath: fixturePath("whittle_written.gguf")))
        }
        XCTAssertEqual(image, try bytes(fixturePath("whittle_written.gguf")), "writer output changed: regenerate and re-check the fixture")
        // gguf-py's view of the file, recorded in whittle_written.json, is what Whittle reads.
        let f = try GGUFFile.open(fixturePath("whittle_written.gguf"))
        let seen = try JSONParser.parse(try bytes(fixturePath("whittle_written.json")))
        guard case .object(let o) = seen, case .array(let ts)? = o.first(where: { $0.key == "tensors" })?.value,
              case .array(let meta)? = o.first(where: { $0.key == "metadata" })?.value else { return XCTFail("fixture json") }
        XCTAssertEqual(meta.count, m.count)
        XCTAssertEqual(ts.count, tensors.count)
        for case .object(let t) in ts {
            guard let name = t.first(where: { $0.key == "name" })?.value.stringValue, let info = f.info(named: name),
                  let hex = t.first(where: { $0.key == "bytes" })?.value.stringValue else { XCTFail("tensor entry"); continue }
            XCTAssertEqual(t.first(where: { $0.key == "type" })?.value.stringValue, info.type.description.lowercased(), name)
            XCTAssertEqual(hex, f.rawBytes(of: info).map { String(format: "%02x", $0) }.joined(), name)
        }
        let llama = String(decoding: try bytes(fixturePath("whittle_written.llama.txt")), as: UTF8.self)
        XCTAssertTrue(llama.contains("1 gguf split written with a total of \(tensors.count) tensors"), llama)
    }
}
