import Foundation
import WhittleFormats
import WhittleTensor
import XCTest

/// Files written by the PyPI `safetensors` package, and a Whittle-written file checked by it
/// (Scripts/fixtures/make_safetensors_fixtures.py and check_whittle_written.py).
final class SafetensorsInteropTests: XCTestCase {
    private func expected() throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("expected.json")))))
    }

    private func member(_ v: JSONValue, _ key: String) -> JSONValue? {
        guard case .object(let o) = v else { return nil }
        return o.first { $0.key == key }?.value
    }

    private func doubles(_ v: JSONValue?) -> [Double] {
        guard case .array(let a)? = v else { return [] }
        return a.compactMap { if case .number(let s) = $0 { return Double(s) } else { return nil } }
    }

    private func ints(_ v: JSONValue?) -> [Int] { doubles(v).map { Int($0) } }

    /// Compares every tensor and the metadata of `file` with a description in expected.json's format.
    private func check(_ f: SafetensorsFile, against desc: JSONValue, skip: Set<String> = [],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        guard case .object(let tensors)? = member(desc, "tensors"), case .object(let meta)? = member(desc, "metadata") else {
            return XCTFail("malformed description", file: file, line: line)
        }
        XCTAssertEqual(f.metadata, Dictionary(uniqueKeysWithValues: meta.map { ($0.key, $0.value.stringValue ?? "") }), file: file, line: line)
        XCTAssertEqual(Set(f.entries.map(\.name)), Set(tensors.map(\.key)), file: file, line: line)
        for (name, info) in tensors where !skip.contains(name) {
            let t = try f.tensor(named: name)
            XCTAssertEqual(f.entry(named: name)?.fileDType.rawValue, member(info, "dtype")?.stringValue, name, file: file, line: line)
            XCTAssertEqual(t.shape, ints(member(info, "shape")), name, file: file, line: line)
            let want = doubles(member(info, "values"))
            XCTAssertEqual(t.count, want.count, name, file: file, line: line)
            for i in 0..<min(t.count, want.count) {
                if t.dtype == .f64 {
                    let got = UnsafeRawPointer(t.storage.bytes).load(fromByteOffset: 8 * i, as: Double.self)
                    XCTAssertEqual(got, want[i], "\(name)[\(i)]", file: file, line: line)
                } else if t.dtype == .i64 {
                    let got = UnsafeRawPointer(t.storage.bytes).load(fromByteOffset: 8 * i, as: Int64.self)
                    XCTAssertEqual(got, Int64(want[i]), "\(name)[\(i)]", file: file, line: line)
                } else {
                    XCTAssertEqual(t.element(at: i), Float(want[i]), "\(name)[\(i)]", file: file, line: line)
                }
            }
        }
    }

    func testReadsEveryDTypeWrittenByTheReferencePackage() throws {
        let name = "numpy_mixed.safetensors"
        let f = try SafetensorsFile.open(fixturePath(name))
        XCTAssertEqual(f.entries.count, 12)
        try check(f, against: try XCTUnwrap(member(try expected(), name)))
        XCTAssertEqual(try f.tensor(named: "scalar").shape, [])
        XCTAssertEqual(try f.tensor(named: "empty").shape, [0, 3])
    }

    func testReadsEscapedAndUnicodeMetadata() throws {
        let name = "numpy_metadata.safetensors"
        let f = try SafetensorsFile.open(fixturePath(name))
        try check(f, against: try XCTUnwrap(member(try expected(), name)))
        XCTAssertEqual(f.metadata["unicode"], "größe ≤ 1 😀")
    }

    func testDTypeWhittleLacksIsListedButRefusedWithAClearError() throws {
        let name = "numpy_u16.safetensors"
        let f = try SafetensorsFile.open(fixturePath(name))
        try check(f, against: try XCTUnwrap(member(try expected(), name)), skip: ["unsupported.u16"])
        XCTAssertEqual(f.entry(named: "unsupported.u16")?.shape, [2])
        XCTAssertNil(f.entry(named: "unsupported.u16")?.dtype)
        assertThrows(SafetensorsError.unsupportedDType(tensor: "unsupported.u16", dtype: "U16"),
                     message: "safetensors: tensor 'unsupported.u16' has dtype U16, which Whittle does not support") {
            _ = try f.tensor(named: "unsupported.u16")
        }
    }

    func testReserializingAReferenceFileGivesTheSameBytes() throws {
        let path = fixturePath("numpy_mixed.safetensors")
        let f = try SafetensorsFile.open(path)
        let mine = try Safetensors.serialize(try f.tensors(), metadata: f.metadata)
        XCTAssertEqual(mine, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// The tensors of the committed Whittle-written file.
    private func whittleTensors() throws -> [(name: String, tensor: Tensor)] {
        [
            ("0.weight", try Tensor(shape: [2, 2], values: [0.5, -1, 2, 1e-3])),
            ("0.bias", try Tensor(shape: [2], values: [0, 3])),
            ("mask", try rawTensor([4], .bool, [1, 0, 0, 1])),
            ("q.int8", try rawTensor([3], .i8, [0x81, 0, 0x7F])),
            ("scale.f16", try rawTensor([1], .f16, leBytes([UInt16(0x3555)]))),
            ("g.bf16", try rawTensor([2], .bf16, leBytes([UInt16(0x3F80), 0xBE00]))),
            ("step.i64", try rawTensor([], .i64, leBytes([Int64(123_456_789_012)]))),
            ("empty", try Tensor(zeros: [0])),
        ]
    }

    private let whittleMetadata = ["whittle.version": "0.1", "whittle.architecture": #"[{"type":"linear","in":2,"out":2}]"#]

    func testWhittleWrittenFileMatchesCommittedBytes() throws {
        let fixture = fixturePath("whittle_written.safetensors")
        if ProcessInfo.processInfo.environment["WHITTLE_WRITE_FIXTURES"] == "1" {
            try Safetensors.write(try whittleTensors(), metadata: whittleMetadata, to: fixture)
        }
        let mine = try Safetensors.serialize(try whittleTensors(), metadata: whittleMetadata)
        XCTAssertEqual(mine, Array(try Data(contentsOf: URL(fileURLWithPath: fixture))),
                       "Whittle's writer changed: regenerate with WHITTLE_WRITE_FIXTURES=1 and rerun check_whittle_written.py")
    }

    func testReferencePackageReadWhatWhittleWrote() throws {
        // whittle_written.python.json is what safetensors (Python) read from the committed file.
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("whittle_written.python.json")))))
        let dir = try makeTempDir(self)
        try Safetensors.write(try whittleTensors(), metadata: whittleMetadata, to: dir + "/w.safetensors")
        try check(try SafetensorsFile.open(dir + "/w.safetensors"), against: json)
    }
}
