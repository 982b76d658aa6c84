import Foundation
import WhittleFormats
import WhittleKernels
import WhittleTensor
import XCTest

/// The reader against files gguf-py wrote (Scripts/fixtures/make_gguf_fixtures.py), compared with
/// what gguf-py's own reader saw in them (the .json next to each file).
final class GGUFReaderTests: XCTestCase {
    private func expectation(_ name: String) throws -> [(key: String, value: JSONValue)] {
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath(name)))))
        guard case .object(let o) = json else { throw GGUFError.invalidWrite("fixture \(name) is not an object") }
        return o
    }

    private func field(_ o: [(key: String, value: JSONValue)], _ k: String) -> JSONValue? { o.first { $0.key == k }?.value }
    private func object(_ v: JSONValue?) -> [(key: String, value: JSONValue)] {
        if case .object(let o)? = v { return o }
        return []
    }
    private func array(_ v: JSONValue?) -> [JSONValue] {
        if case .array(let a)? = v { return a }
        return []
    }
    private func number(_ v: JSONValue?) -> String {
        if case .number(let s)? = v { return s }
        return "?"
    }

    /// The GGUFValue a JSON scalar of gguf type `type` stands for.
    private func scalar(_ type: String, _ v: JSONValue) -> GGUFValue? {
        switch (type, v) {
        case ("u8", .number(let s)): return UInt8(s).map(GGUFValue.uint8)
        case ("i8", .number(let s)): return Int8(s).map(GGUFValue.int8)
        case ("u16", .number(let s)): return UInt16(s).map(GGUFValue.uint16)
        case ("i16", .number(let s)): return Int16(s).map(GGUFValue.int16)
        case ("u32", .number(let s)): return UInt32(s).map(GGUFValue.uint32)
        case ("i32", .number(let s)): return Int32(s).map(GGUFValue.int32)
        case ("u64", .number(let s)): return UInt64(s).map(GGUFValue.uint64)
        case ("i64", .number(let s)): return Int64(s).map(GGUFValue.int64)
        case ("f32", .number(let s)): return Double(s).map { .float32(Float($0)) }
        case ("f64", .number(let s)): return Double(s).map(GGUFValue.float64)
        case ("bool", .bool(let b)): return .bool(b)
        case ("str", .string(let s)): return .string(s)
        default: return nil
        }
    }

    private func expectedArray(_ v: JSONValue) -> GGUFArray? {
        let o = object(v)
        guard let t = field(o, "element_type")?.stringValue else { return nil }
        let items = array(field(o, "elements"))
        let values = items.compactMap { scalar(t, $0) }
        switch t {
        case "u8": return .uint8(values.compactMap { if case .uint8(let x) = $0 { return x }; return nil })
        case "i8": return .int8(values.compactMap { if case .int8(let x) = $0 { return x }; return nil })
        case "u16": return .uint16(values.compactMap { if case .uint16(let x) = $0 { return x }; return nil })
        case "i16": return .int16(values.compactMap { if case .int16(let x) = $0 { return x }; return nil })
        case "u32": return .uint32(values.compactMap { if case .uint32(let x) = $0 { return x }; return nil })
        case "i32": return .int32(values.compactMap { if case .int32(let x) = $0 { return x }; return nil })
        case "u64": return .uint64(values.compactMap { if case .uint64(let x) = $0 { return x }; return nil })
        case "i64": return .int64(values.compactMap { if case .int64(let x) = $0 { return x }; return nil })
        case "f32": return .float32(values.compactMap { if case .float32(let x) = $0 { return x }; return nil })
        case "f64": return .float64(values.compactMap { if case .float64(let x) = $0 { return x }; return nil })
        case "bool": return .bool(values.compactMap { if case .bool(let x) = $0 { return x }; return nil })
        case "str": return .string(values.compactMap { $0.stringValue })
        // gguf-py writes Python ints as i32; the fixture's nested array is [[1, 2], [3]].
        case "arr": return .array([.int32([1, 2]), .int32([3])])
        default: return nil
        }
    }

    private func hexBytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16) ?? 0)
        }
        return out
    }

    private func checkAgainstGGUFPy(_ name: String) throws -> GGUFFile {
        let want = try expectation(name + ".json")
        let f = try GGUFFile.open(fixturePath(name + ".gguf"))
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(String(f.alignment), number(field(want, "alignment")))
        XCTAssertEqual(String(f.dataOffset), number(field(want, "data_offset")))
        XCTAssertEqual(String(f.fileBytes), number(field(want, "file_bytes")))

        let meta = array(field(want, "metadata"))
        XCTAssertEqual(f.metadata.keys, meta.compactMap { field(object($0), "key")?.stringValue }, "keys in file order")
        for m in meta {
            let o = object(m)
            let key = field(o, "key")?.stringValue ?? "?"
            let type = field(o, "type")?.stringValue ?? "?"
            guard let value = field(o, "value") else { XCTFail("fixture: \(key) has no value"); continue }
            let expected = type == "arr" ? expectedArray(value).map(GGUFValue.array) : scalar(type, value)
            XCTAssertNotNil(expected, "fixture value of \(key)")
            XCTAssertEqual(f.metadata[key], expected, key)
            XCTAssertEqual(f.metadata[key]?.type.description, type, key)
        }

        let tensors = array(field(want, "tensors"))
        XCTAssertEqual(f.tensorInfos.map(\.name), tensors.compactMap { field(object($0), "name")?.stringValue })
        for t in tensors {
            let o = object(t)
            let tname = field(o, "name")?.stringValue ?? "?"
            guard let info = f.info(named: tname) else { XCTFail("no tensor \(tname)"); continue }
            XCTAssertEqual(info.type.description.lowercased(), field(o, "type")?.stringValue, tname)
            XCTAssertEqual(info.shape.map(String.init), array(field(o, "shape")).map { number($0) }, tname)
            XCTAssertEqual(String(info.offset), number(field(o, "offset")), tname)
            let bytes = hexBytes(field(o, "bytes")?.stringValue ?? "")
            XCTAssertEqual(Array(f.rawBytes(of: info)), bytes, tname)
            if let dtype = info.dtype {
                let tensor = try f.tensor(named: tname)
                XCTAssertEqual(tensor.dtype, dtype, tname)
                XCTAssertEqual(tensor.shape, info.shape, tname)
                XCTAssertEqual(Array(UnsafeRawBufferPointer(start: tensor.storage.bytes, count: tensor.byteCount)), bytes, tname)
                XCTAssertTrue(tensor.storage.isReadOnly, "\(tname) borrows the mapping")
            }
        }
        return f
    }

    func testEveryValueTypeAndTensorTypeReadsAsGGUFPyReadsIt() throws {
        let f = try checkAgainstGGUFPy("gguf_all_types")
        XCTAssertEqual(f.metadata.count, 28)
        XCTAssertEqual(f.string("general.architecture"), "whittle-test")
        XCTAssertEqual(f.int("test.u64"), nil, "18e18 does not fit in Int")
        XCTAssertEqual(f.int("test.i16"), -30000)
        XCTAssertEqual(f.float("test.f32"), 1.5)
        XCTAssertEqual(f.bool("test.bool_true"), true)
        XCTAssertEqual(f.stringArray("test.arr_str"), ["a", "", "ü", "<0x0A>"])
        XCTAssertEqual(f.floatArray("test.arr_f32"), [0.5, -2.25, 0.001])
        XCTAssertEqual(f.intArray("test.arr_i32"), [-1, 0, 1, 2_147_483_647])
        XCTAssertEqual(try f.tensor(named: "f32.matrix").toArray(), (0..<12).map { Float($0) * 0.5 - 2 })
        XCTAssertEqual(try f.tensor(named: "f32.cube").shape, [2, 3, 4])
        XCTAssertEqual(f.info(named: "f32.cube")?.dims, [4, 3, 2], "ggml order: ne[0] is the row length")
        XCTAssertEqual(try f.tensor(named: "q4_0.weight").dtype, .q4_0)
        XCTAssertEqual(try f.tensor(named: "q4_k.weight").shape, [2, 256])
    }

    func testCustomAlignmentFile() throws {
        let f = try checkAgainstGGUFPy("gguf_align64")
        XCTAssertEqual(f.alignment, 64)
        XCTAssertEqual(f.tensorInfos.map(\.offset), [0, 64, 192])
    }

    func testUnsupportedTypeIsListedButRefusedByName() throws {
        let f = try GGUFFile.open(fixturePath("gguf_all_types.gguf"))
        XCTAssertEqual(f.info(named: "iq2_xxs.weight")?.type, .iq2_xxs)
        assertThrows(GGUFError.unsupportedTensorType(tensor: "iq2_xxs.weight", type: "IQ2_XXS"),
                     message: "gguf: tensor 'iq2_xxs.weight' has type IQ2_XXS, which Whittle cannot load") {
            _ = try f.tensor(named: "iq2_xxs.weight")
        }
        assertThrows(GGUFError.tensorNotFound("nope")) { _ = try f.tensor(named: "nope") }
    }

    func testTensorsOutliveTheFileValue() throws {
        var t: Tensor?
        do { t = try GGUFFile.open(fixturePath("gguf_all_types.gguf")).tensor(named: "f32.vector") }
        XCTAssertEqual(t?.toArray(), [1, -1, 0.25])
    }
}
