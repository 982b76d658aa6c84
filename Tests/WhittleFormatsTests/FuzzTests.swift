import Foundation
import WhittleFormats
import WhittleTensor
import XCTest

/// Seeded random-mutation fuzzing of the readers: every input must parse or throw, never trap.
/// Run longer with WHITTLE_FUZZ_ITERATIONS=200000 (and WHITTLE_FUZZ_SEED=n for another stream).
final class FuzzTests: XCTestCase {
    private var iterations: Int { Int(ProcessInfo.processInfo.environment["WHITTLE_FUZZ_ITERATIONS"] ?? "") ?? 5000 }
    private var seed: UInt64 { UInt64(ProcessInfo.processInfo.environment["WHITTLE_FUZZ_SEED"] ?? "") ?? 20_261_122 }

    /// Byte flips, interesting values, insertions, deletions, truncation and splices of header text.
    private func mutate(_ input: [UInt8], _ rng: inout TestRNG, dictionary: [[UInt8]]) -> [UInt8] {
        var b = input
        for _ in 0...rng.int(4) {
            switch rng.int(8) {
            case 0 where !b.isEmpty: b[rng.int(b.count)] ^= UInt8(1 << rng.int(8))
            case 1 where !b.isEmpty: b[rng.int(b.count)] = [0, 0xFF, 0x7F, 0x80, 0x22, 0x7B, 0x7D, 0x2C][rng.int(8)]
            case 2: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.int(b.count + 1))
            case 3 where !b.isEmpty: b.remove(at: rng.int(b.count))
            case 4: b = Array(b.prefix(rng.int(b.count + 1)))
            case 5:
                let word = dictionary[rng.int(dictionary.count)]
                b.insert(contentsOf: word, at: rng.int(b.count + 1))
            case 6 where b.count >= 8:
                // Rewrite a length/dimension field with a boundary value.
                let at = rng.int(b.count - 3)
                let v: [UInt8] = [[0, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF], [0, 0, 1, 0]][rng.int(4)]
                b.replaceSubrange(at..<(at + 4), with: v)
            case 7 where !b.isEmpty:
                let n = rng.int(b.count)
                let len = rng.int(min(32, b.count - n) + 1)
                b.insert(contentsOf: b[n..<(n + len)], at: rng.int(b.count + 1))
            default: break
            }
        }
        return b
    }

    func testSafetensorsReaderNeverTraps() throws {
        let t8 = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let seeds = [
            try Safetensors.serialize([("a", t8), ("b.bias", try Tensor(shape: [3], values: [1, 2, 3])),
                                       ("s", try Tensor(shape: [], values: [1])), ("e", try Tensor(zeros: [0, 2]))],
                                      metadata: ["k": "v", "whittle.architecture": "[]"]),
            Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("numpy_mixed.safetensors")))),
        ]
        let words = ["\"dtype\"", "\"F32\"", "\"F4\"", "\"shape\"", "[18446744073709551615]", "\"data_offsets\"",
                     "[0,0]", "\"__metadata__\"", "{}", "\\u00", "[[[[", "\"I64\"", "-1", "1e400"].map { Array($0.utf8) }
        var rng = TestRNG(seed)
        var parsed = 0, rejected = 0
        for i in 0..<iterations {
            let input = mutate(seeds[i % seeds.count], &rng, dictionary: words)
            do {
                let h = try input.withUnsafeBytes { try SafetensorsHeader.parse($0) }
                parsed += 1
                // A header that validates must describe bytes inside the image.
                for e in h.entries { XCTAssertLessThanOrEqual(h.dataOffset + e.byteRange.upperBound, input.count) }
            } catch is SafetensorsError {
                rejected += 1
            }
        }
        XCTAssertEqual(parsed + rejected, iterations)
        XCTAssertGreaterThan(rejected, iterations / 2, "mutations should mostly break files")
        XCTAssertGreaterThan(parsed, 0, "some mutations (e.g. in tensor data) keep the file valid")
    }

    func testSafetensorsFileOpenAndTensorNeverTrap() throws {
        // The full path through mmap and Tensor creation, on fewer inputs (each touches the disk).
        let dir = try makeTempDir(self)
        let seed = Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("numpy_mixed.safetensors"))))
        var rng = TestRNG(UInt64(seed.count))
        for i in 0..<max(1, iterations / 10) {
            let path = try writeFile(mutate(seed, &rng, dictionary: [Array("\"U16\"".utf8)]), dir, "f\(i % 4).safetensors")
            do {
                let f = try SafetensorsFile.open(path)
                for e in f.entries {
                    do { _ = try f.tensor(named: e.name).toArray() } catch is SafetensorsError {}
                }
            } catch is SafetensorsError {}
        }
    }

    func testIDXReaderNeverTraps() throws {
        let images = idxImage(code: 0x08, dims: [3, 4, 4], data: (0..<48).map { UInt8($0 * 5) })
        let floats = idxImage(code: 0x0D, dims: [2, 3], data: [UInt8](repeating: 0x3F, count: 24))
        let shorts = idxImage(code: 0x0B, dims: [5], data: [UInt8](repeating: 0x81, count: 10))
        let seeds = [images, floats, shorts, gzip(images), gzip(floats), gzip(shorts, level: 0)]
        var rng = TestRNG(seed ^ 0xABCD)
        var parsed = 0, rejected = 0
        for i in 0..<iterations {
            let input = mutate(seeds[i % seeds.count], &rng, dictionary: [[0x1F, 0x8B], [0, 0, 8, 3], [0, 0, 0x0E, 1]])
            do {
                let r = try IDX.parse(input)
                XCTAssertEqual(r.data.count, r.shape.reduce(1, *))
                parsed += 1
            } catch is IDXError {
                rejected += 1
            }
        }
        XCTAssertEqual(parsed + rejected, iterations)
        XCTAssertGreaterThan(rejected, 0)
        XCTAssertGreaterThan(parsed, 0)
    }

    func testJSONParserNeverTraps() throws {
        let seed = Array(#"{"a":[1,-2.5e3,true,false,null,"x\u00e9\ud83d\ude00\n"],"b":{"c":{}}}"#.utf8)
        var rng = TestRNG(UInt64(seed.count))
        for _ in 0..<iterations {
            let input = mutate(seed, &rng, dictionary: [Array("\\ud800".utf8), Array("[[[[".utf8), Array("\"".utf8)])
            do {
                let v = try JSONParser.parse(input)
                // Whatever parses must survive a write/parse round trip unchanged.
                XCTAssertEqual(try JSONParser.parse(JSONWriter.compact(v)), v)
            } catch is JSONError {}
        }
    }

    private var ggufSeeds: [[UInt8]] {
        ["gguf_all_types.gguf", "gguf_align64.gguf", "whittle_written.gguf"].compactMap {
            try? Array(Data(contentsOf: URL(fileURLWithPath: fixturePath($0))))
        }
    }

    /// GGUF field values that hit the reader's bounds: huge and negative counts, type ids, alignment.
    private var ggufWords: [[UInt8]] {
        [leBytes([UInt64.max]), leBytes([UInt64(1) << 30]), leBytes([Int64(-1)]), leBytes([UInt32(9)]), leBytes([UInt32(8)]),
         leBytes([UInt32(13)]), leBytes([UInt32(5)]), Array("GGUF".utf8), Array("general.alignment".utf8), [0xC3, 0x28], [0x80]]
    }

    func testGGUFHeaderParserNeverTraps() throws {
        let seeds = ggufSeeds
        XCTAssertEqual(seeds.count, 3)
        var rng = TestRNG(seed ^ 0x6767_7566)
        var parsed = 0, rejected = 0
        for i in 0..<iterations {
            let input = mutate(seeds[i % seeds.count], &rng, dictionary: ggufWords)
            do {
                let h = try input.withUnsafeBytes { try GGUFHeader.parse($0) }
                parsed += 1
                // A header that validates describes tensors inside the image, aligned and in order.
                for t in h.tensorInfos {
                    XCTAssertLessThanOrEqual(h.dataOffset + t.offset + t.byteCount, input.count)
                    XCTAssertEqual(t.offset % h.alignment, 0)
                }
            } catch is GGUFError {
                rejected += 1
            }
        }
        XCTAssertEqual(parsed + rejected, iterations)
        XCTAssertGreaterThan(rejected, iterations / 4, "mutations should often break files")
        XCTAssertGreaterThan(parsed, 0, "some mutations (e.g. in tensor data) keep the file valid")
    }

    func testGGUFFileOpenTensorsAndRewriteNeverTrap() throws {
        // Through mmap, Tensor creation and the writer: whatever opens rewrites to a file that reads back the same.
        let dir = try makeTempDir(self)
        let seeds = ggufSeeds
        var rng = TestRNG(seed ^ 0x77)
        var opened = 0
        for i in 0..<max(1, iterations / 25) {
            let path = try writeFile(mutate(seeds[i % seeds.count], &rng, dictionary: ggufWords), dir, "f\(i % 4).gguf")
            do {
                let f = try GGUFFile.open(path)
                opened += 1
                for info in f.tensorInfos {
                    do {
                        let t = try f.tensor(named: info.name)
                        if !t.dtype.isBlock { _ = t.toArray() }
                    } catch is GGUFError {}
                }
                let out = dir + "/rewrite.gguf"
                try GGUFWriter.write(f, to: out)
                let g = try GGUFFile.open(out)
                XCTAssertEqual(g.tensorInfos, f.tensorInfos)
                XCTAssertEqual(g.metadata.keys, f.metadata.keys)
            } catch is GGUFError {}
        }
        XCTAssertGreaterThan(opened, 0)
    }

    func testIMatrixLoadAndSaveNeverTrap() throws {
        // Legacy .dat (its own parser) and GGUF imatrix files (the GGUF reader plus the pairing rules).
        let dir = try makeTempDir(self)
        let seeds = ["imatrix_small.dat", "imatrix_small.gguf"].compactMap { try? Array(Data(contentsOf: URL(fileURLWithPath: fixturePath($0)))) }
        XCTAssertEqual(seeds.count, 2)
        var rng = TestRNG(seed ^ 0x1A7)
        var loaded = 0
        for i in 0..<max(1, iterations / 25) {
            let ext = i % 2 == 0 ? "dat" : "gguf"
            let path = try writeFile(mutate(seeds[i % 2], &rng, dictionary: ggufWords + [leBytes([Int32(-1)]), leBytes([Int32.max])]), dir, "m.\(ext)")
            do {
                let m = try ImportanceMatrix.load(path)
                loaded += 1
                for name in m.names { _ = m.means(of: name) }
                do { try m.save(dir + "/out.gguf") } catch is IMatrixError {}
                do { try m.save(dir + "/out.dat") } catch is IMatrixError {}
            } catch is IMatrixError {} catch is GGUFError {}
        }
        XCTAssertGreaterThan(loaded, 0)
    }
}
