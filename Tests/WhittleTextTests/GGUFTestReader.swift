import Foundation
@testable import WhittleText

/// Reads just the `tokenizer.ggml.*` keys of a GGUF file (the key/value section), for the tokenizer tests.
enum GGUFTestReader {
    struct Bad: Error { let what: String }

    static func vocabulary(_ path: String) throws -> GGUFVocabulary {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        var r = Reader(data: data)
        guard try r.u32() == 0x46554747 else { throw Bad(what: "magic") }
        _ = try r.u32(); _ = try r.u64()
        let count = try r.u64()
        var kv: [String: Any] = [:]
        for _ in 0..<count {
            let key = try r.string()
            let type = try r.u32()
            let value = try r.value(type)
            if key.hasPrefix("tokenizer.ggml.") { kv[String(key.dropFirst("tokenizer.ggml.".count))] = value }
        }
        var v = GGUFVocabulary(model: kv["model"] as? String ?? "", pre: kv["pre"] as? String, tokens: kv["tokens"] as? [String] ?? [])
        v.merges = kv["merges"] as? [String]
        v.scores = kv["scores"] as? [Float]
        v.tokenTypes = kv["token_type"] as? [Int32]
        v.bosID = kv["bos_token_id"] as? UInt32
        v.eosID = kv["eos_token_id"] as? UInt32
        v.unknownID = kv["unknown_token_id"] as? UInt32
        v.addBOS = kv["add_bos_token"] as? Bool
        v.addEOS = kv["add_eos_token"] as? Bool
        v.addSpacePrefix = kv["add_space_prefix"] as? Bool
        return v
    }

    struct Reader {
        let data: Data
        var i = 0
        mutating func take(_ n: Int) throws -> Data {
            guard n >= 0, i + n <= data.count else { throw Bad(what: "truncated") }
            defer { i += n }
            return data.subdata(in: (data.startIndex + i)..<(data.startIndex + i + n))
        }
        mutating func int<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let d = try take(MemoryLayout<T>.size)
            return d.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) }
        }
        mutating func u32() throws -> UInt32 { try int(UInt32.self) }
        mutating func u64() throws -> UInt64 { try int(UInt64.self) }
        mutating func string() throws -> String { String(decoding: try take(Int(try u64())), as: UTF8.self) }
        mutating func value(_ type: UInt32) throws -> Any {
            switch type {
            case 0, 1: return try int(UInt8.self)
            case 2, 3: return try int(UInt16.self)
            case 4: return try u32()
            case 5: return try int(Int32.self)
            case 6: return Float(bitPattern: try u32())
            case 7: return try int(UInt8.self) != 0
            case 8: return try string()
            case 9:
                let t = try u32(), n = Int(try u64())
                switch t {
                case 8: return try (0..<n).map { _ in try string() }
                case 6: return try (0..<n).map { _ in Float(bitPattern: try u32()) }
                case 5: return try (0..<n).map { _ in try int(Int32.self) }
                default: return try (0..<n).map { _ in try value(t) }
                }
            case 10, 11: return try u64()
            case 12: return try u64()
            default: throw Bad(what: "type \(type)")
            }
        }
    }
}
