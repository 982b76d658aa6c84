import Foundation
import WhittleFormats
import XCTest

/// SHA-256 against FIPS 180-4's test vectors, and the provenance entries writers store.
final class ProvenanceTests: XCTestCase {
    private func hex(_ s: String) -> String {
        var d = SHA256()
        d.update(Array(s.utf8))
        return d.hexDigest()
    }

    func testSHA256KnownVectors() {
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // A million 'a's fed in uneven pieces, so the block carry-over is exercised.
        var d = SHA256()
        let chunk = [UInt8](repeating: 97, count: 777)
        var left = 1_000_000
        while left > 0 {
            let n = min(left, chunk.count)
            d.update(Array(chunk[0..<n]))
            left -= n
        }
        XCTAssertEqual(d.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testMetadataHashesTheSourceAndListsPassesInOrder() throws {
        let path = NSTemporaryDirectory() + "whittle-prov-\(UUID().uuidString).bin"
        try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var p = Provenance(source: "model", files: [path])
        p.record(pass: "prune.magnitude", options: [("sparsity", .number("0.5")), ("scope", .string("layer"))])
        p.record(pass: "quantize.weights", options: [("format", .string("q8_0"))])
        p.recipe = "print(1)"
        let meta = Dictionary(uniqueKeysWithValues: p.metadata(version: "1.2.3").map { ($0.key, $0.value) })
        XCTAssertEqual(meta[Provenance.versionKey], "1.2.3")
        XCTAssertEqual(meta[Provenance.recipeKey], "print(1)")
        XCTAssertEqual(meta[Provenance.passesKey],
                       #"[{"pass":"prune.magnitude","options":{"scope":"layer","sparsity":0.5}},{"pass":"quantize.weights","options":{"format":"q8_0"}}]"#)
        XCTAssertEqual(meta[Provenance.sourceKey],
                       #"{"name":"model","files":[{"path":"\#(path)","sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}]}"#)
        let report = ProvenanceReport.render(meta)
        XCTAssertTrue(report.contains("source: model"), report)
        XCTAssertTrue(report.contains("2. quantize.weights format=\"q8_0\""), report)
        XCTAssertEqual(ProvenanceReport.render([:]), "provenance: none\n")
    }
}
