import Foundation
import WhittleFormats
import WhittleKernels
import WhittleNN
import WhittleTensor
import XCTest

/// Encoded parameters save as compact tensors described in "whittle.compression" and load back identical.
final class CompressionFileTests: XCTestCase {
    private func encodedModel() throws -> Model {
        let m = try QuantFixtures.convNet()
        let layers = m.layers()
        let conv = try XCTUnwrap(layers[0].module as? Conv2d), fc = try XCTUnwrap(layers[4].module as? Linear)
        try conv.weight.setEncoding(try Int8Encoding.quantize(conv.weight.value, perChannel: true, symmetric: false))
        conv.inputQuantization = try ActivationQuantization(low: -2, high: 3, symmetric: false)
        try fc.weight.setEncoding(try Int4Encoding.quantize(fc.weight.value, group: 32))
        return m
    }

    func testSavedEncodedModelLoadsBackWithIdenticalOutputs() throws {
        let m = try encodedModel()
        let path = QuantFixtures.tempPath("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path)
        let file = try SafetensorsFile.open(path)
        XCTAssertEqual(Set(file.entries.map(\.name)), ["0.weight.q", "0.weight.scale", "0.weight.zero_point", "0.bias",
                                                       "4.weight.codes", "4.weight.scales", "4.bias"])
        let meta = try XCTUnwrap(file.metadata[CompressionMetadata.key])
        XCTAssertTrue(meta.contains("\"format\":\"int4\""))
        XCTAssertTrue(meta.contains("\"activations\""))

        let loaded = try Model.load(path)
        XCTAssertEqual(loaded.encodedParameters().map(\.name), ["0.weight", "4.weight"])
        XCTAssertEqual(loaded.encodedParameters().map(\.encoding.format), ["int8", "int4"])
        let conv = try XCTUnwrap(loaded.layers()[0].module as? Conv2d)
        XCTAssertEqual(conv.inputQuantization, (m.layers()[0].module as? Conv2d)?.inputQuantization)
        XCTAssertNil(loaded.metadata[CompressionMetadata.key])
        let x = try QuantFixtures.randn([3, 2, 8, 8], seed: 21)
        XCTAssertEqual(try loaded.forward(x).toArray(), try m.forward(x).toArray())
        // Saving the loaded model again writes the same tensors (no f32 copy crept in).
        let path2 = QuantFixtures.tempPath("roundtrip2")
        defer { try? FileManager.default.removeItem(atPath: path2) }
        try loaded.save(to: path2)
        // Byte for byte except the provenance, which now names the loaded file as the source.
        let first = try SafetensorsFile.open(path), second = try SafetensorsFile.open(path2)
        XCTAssertEqual(second.entries.map(\.name), first.entries.map(\.name))
        for e in first.entries {
            let a = try first.tensor(named: e.name), b = try second.tensor(named: e.name)
            XCTAssertEqual(b.dtype, a.dtype, e.name)
            XCTAssertEqual(Data(bytes: b.storage.bytes, count: b.byteCount), Data(bytes: a.storage.bytes, count: a.byteCount), e.name)
        }
        var expected = first.metadata
        expected["whittle.source"] = second.metadata["whittle.source"]
        XCTAssertEqual(second.metadata, expected)
        XCTAssertTrue(second.metadata["whittle.source"]?.contains("sha256") == true)
    }

    func testSummaryCountsStoredBytesAndBitsPerWeight() throws {
        let m = try encodedModel()
        let s = m.summary()
        // conv: 6x18 i8 + 6 f32 scales + 6 i8 zero points + 6 f32 bias; linear: 5x64/2 codes + 5x2 f16 scales + 5 f32 bias.
        XCTAssertEqual(s.layers[0].bytes, 108 + 24 + 6 + 24)
        XCTAssertEqual(s.layers[0].dtype, "f32,int8")
        XCTAssertEqual(s.layers[4].bytes, 160 + 20 + 20)
        XCTAssertEqual(s.layers[4].bitsPerWeight, Double(200 * 8) / Double(54 * 5 + 5), accuracy: 1e-9)
        XCTAssertTrue(s.description.contains("bits/w"))
        let path = QuantFixtures.tempPath("size")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path)
        let dense = try QuantFixtures.convNet()
        let densePath = QuantFixtures.tempPath("dense")
        defer { try? FileManager.default.removeItem(atPath: densePath) }
        try dense.save(to: densePath)
        let size = { (p: String) in try FileManager.default.attributesOfItem(atPath: p)[.size] as! Int }
        XCTAssertLessThan(try size(path), try size(densePath))
    }

    func testCopiesKeepEncodingsAndActivationRanges() throws {
        let m = try encodedModel()
        let c = try m.clone()
        XCTAssertEqual(c.encodedParameters().map(\.encoding.format), ["int8", "int4"])
        XCTAssertNotNil((c.layers()[0].module as? Conv2d)?.inputQuantization)
        let x = try QuantFixtures.randn([2, 2, 8, 8], seed: 22)
        XCTAssertEqual(try c.forward(x).toArray(), try m.forward(x).toArray())
    }

    /// Rewrites a saved file's compression metadata with `edit` and returns the load error's text.
    private func loadError(_ edit: (String) -> String, dropTensor: String? = nil) throws -> String {
        let m = try encodedModel()
        let path = QuantFixtures.tempPath("bad")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path)
        let file = try SafetensorsFile.open(path)
        var meta = file.metadata
        meta[CompressionMetadata.key] = edit(meta[CompressionMetadata.key] ?? "")
        let tensors = try file.tensors().filter { $0.name != dropTensor }
        try Safetensors.write(tensors, metadata: meta, to: path)
        do { _ = try Model.load(path); return "loaded" } catch { return String(describing: error) }
    }

    func testCorruptCompressionMetadataIsAClearError() throws {
        XCTAssertEqual(try loadError { $0.replacingOccurrences(of: "\"int4\"", with: "\"int3\"") },
                       "compressed parameter '4.weight': unknown format 'int3' (known: \(EncodingRegistry.formats.joined(separator: ", ")))")
        XCTAssertTrue(EncodingRegistry.formats.contains("q4_0"))
        XCTAssertEqual(try loadError({ $0 }, dropTensor: "4.weight.scales"), "compressed parameter '4.weight': the file has no tensor '4.weight.scales'")
        XCTAssertEqual(try loadError { $0.replacingOccurrences(of: "\"group\":32", with: "\"group\":64") },
                       "compressed parameter '4.weight': tensor 'scales' must be f16 5x1, got f16 5x2")
        XCTAssertEqual(try loadError { $0.replacingOccurrences(of: "\"version\":1", with: "\"version\":9") },
                       "'whittle.compression' metadata has an unsupported version (this build reads version 1)")
        XCTAssertEqual(try loadError { _ in "[" }, "'whittle.compression' metadata is not valid JSON")
    }
}
