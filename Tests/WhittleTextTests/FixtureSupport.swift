import Foundation
import WhittleFormats
import XCTest
import WhittleText

/// One expected encoding from a fixture file.
struct TokenizerCase {
    let text: String
    let addSpecial: Bool
    let parseSpecial: Bool
    let ids: [Int32]
    let decoded: String?
}

/// A fixture written by Scripts/fixtures/make_tokenizer_fixtures.py.
struct TokenizerFixture {
    let cases: [TokenizerCase]
    let novelCount: Int
    let novelHash: String
    let root: JSONValue

    init(_ name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        root = try JSONParser.parse([UInt8](try Data(contentsOf: url)))
        var cases: [TokenizerCase] = []
        for c in root["cases"]?.arrayValue ?? [] {
            let ids: [Int32] = idList(c["ids"])
            cases.append(TokenizerCase(text: c["text"]?.stringValue ?? "", addSpecial: c["add_special"]?.boolValue ?? false,
                                       parseSpecial: c["parse_special"]?.boolValue ?? true, ids: ids, decoded: c["decoded"]?.stringValue))
        }
        self.cases = cases
        novelCount = Int(root["novel"]?["count"]?.unsignedInteger ?? 0)
        novelHash = root["novel"]?["fnv1a64"]?.stringValue ?? ""
    }
}

/// The test-model cache filled by Scripts/models/fetch.sh (Scripts/setup.sh runs it).
func modelPath(_ name: String) throws -> String {
    let cache = ProcessInfo.processInfo.environment["WHITTLE_CACHE"] ?? (NSHomeDirectory() + "/.cache/whittle")
    let path = cache + "/models/" + name
    guard FileManager.default.fileExists(atPath: path) else {
        throw MissingModel(path: path)
    }
    return path
}

/// A test model that is not in the cache: the suite needs Scripts/models/fetch.sh to have run.
struct MissingModel: Error, CustomStringConvertible {
    let path: String
    var description: String { "test model \(path) is missing: run Scripts/models/fetch.sh (Scripts/setup.sh does)" }
}

/// Persuasion, bundled in the repository.
func novelText() throws -> String {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Data/text/austen_persuasion.txt").standardized
    return try String(contentsOf: url, encoding: .utf8)
}

/// CPU seconds this thread spends in `body` (wall time is unreliable on a machine shared by many builds).
func threadCPUSeconds<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
    let start = now()
    let result = try body()
    return (result, now() - start)
}

/// FNV-1a 64 over the ids as little-endian int32, as the fixture script computes it.
func fnv1a64(_ ids: [Int32]) -> String {
    var h: UInt64 = 0xcbf29ce484222325
    for id in ids {
        let v = UInt32(bitPattern: id)
        for k in 0..<4 { h = (h ^ UInt64((v >> (8 * UInt32(k))) & 0xFF)) &* 0x100000001b3 }
    }
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// Checks every fixture case; reports the first few mismatches with the text.
func assertCases(_ tokenizer: any Tokenizer, _ fixture: TokenizerFixture, checkDecode: Bool, skipSpecial: Bool,
                 file: StaticString = #filePath, line: UInt = #line) throws {
    var failures = 0
    for c in fixture.cases {
        let ids = tokenizer.encode(c.text, addSpecial: c.addSpecial, parseSpecial: c.parseSpecial)
        if ids != c.ids {
            failures += 1
            if failures <= 5 {
                XCTFail("ids differ for \(c.text.prefix(80).debugDescription) addSpecial=\(c.addSpecial)\n got \(ids.prefix(40))\nwant \(c.ids.prefix(40))", file: file, line: line)
            }
        }
        if checkDecode, let want = c.decoded {
            let got = try tokenizer.decode(c.ids, skipSpecial: skipSpecial)
            if got != want {
                failures += 1
                if failures <= 5 { XCTFail("decode differs for \(c.text.prefix(80).debugDescription): \(got.debugDescription)", file: file, line: line) }
            }
        }
    }
    XCTAssertEqual(failures, 0, "\(failures) of \(fixture.cases.count) cases differ", file: file, line: line)
}

/// A JSON array of token ids (an entry that is not an id becomes -1, which no tokenizer produces).
func idList(_ v: JSONValue?) -> [Int32] {
    (v?.arrayValue ?? []).map { e -> Int32 in
        guard let u = e.unsignedInteger, u <= UInt64(Int32.max) else { return -1 }
        return Int32(u)
    }
}

extension JSONValue {
    /// The member `key` of an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }
    /// The elements, if this is an array.
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    /// The payload, if this is a boolean.
    var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
}
