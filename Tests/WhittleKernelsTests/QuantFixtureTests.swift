import Foundation
import XCTest
import WhittleKernels

/// Whittle's Q8_0/Q4_0 bytes against gguf's reference quantizers (fixtures from Scripts/fixtures/make_quant_fixtures.py).
final class QuantFixtureTests: XCTestCase {
    func load(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: fixtureURL(name))) }

    func floats(_ name: String) throws -> [Float] {
        let bytes = try load(name)
        return stride(from: 0, to: bytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }

    typealias Quantizer = (UnsafePointer<Float>, Int, UnsafeMutableRawPointer) throws -> Void
    typealias Dequantizer = (UnsafeRawPointer, Int, UnsafeMutablePointer<Float>) throws -> Void

    func checkFormat(_ tag: String, blockBytes: Int, quantizers: [(String, Quantizer)], dequantizers: [(String, Dequantizer)]) throws {
        let x = try floats("quant_input.f32")
        let expected = try load("quant_\(tag).bin"), expectedDeq = try floats("quant_\(tag)_deq.f32")
        XCTAssertEqual(expected.count, x.count / 32 * blockBytes)
        for (name, quantize) in quantizers {
            var got = [UInt8](repeating: 0xAA, count: expected.count)
            try x.withUnsafeBufferPointer { xp in try got.withUnsafeMutableBytes { try quantize(xp.baseAddress!, x.count, $0.baseAddress!) } }
            for b in 0..<x.count / 32 where got[b * blockBytes..<(b + 1) * blockBytes] != expected[b * blockBytes..<(b + 1) * blockBytes] {
                XCTFail("\(name): block \(b) differs from gguf: \(Array(got[b * blockBytes..<(b + 1) * blockBytes])) vs \(Array(expected[b * blockBytes..<(b + 1) * blockBytes]))")
                break
            }
        }
        for (name, dequantize) in dequantizers {
            var y = [Float](repeating: .nan, count: x.count)
            try expected.withUnsafeBytes { qp in try y.withUnsafeMutableBufferPointer { try dequantize(qp.baseAddress!, x.count, $0.baseAddress!) } }
            XCTAssertEqual(y.map(\.bitPattern), expectedDeq.map(\.bitPattern), name)
        }
    }

    func testQ8_0MatchesGGUF() throws {
        try checkFormat("q8_0", blockBytes: 34,
                        quantizers: [("Reference.quantizeQ8_0", { try Reference.quantizeQ8_0($0, count: $1, into: $2) }),
                                     ("Quantize.q8_0", { try Quantize.q8_0($0, count: $1, into: $2) })],
                        dequantizers: [("Reference.dequantizeQ8_0", { try Reference.dequantizeQ8_0($0, count: $1, into: $2) }),
                                       ("Quantize.dequantizeQ8_0", { try Quantize.dequantizeQ8_0($0, count: $1, into: $2) })])
    }

    func testQ4_0MatchesGGUF() throws {
        try checkFormat("q4_0", blockBytes: 18,
                        quantizers: [("Reference.quantizeQ4_0", { try Reference.quantizeQ4_0($0, count: $1, into: $2) }),
                                     ("Quantize.q4_0", { try Quantize.q4_0($0, count: $1, into: $2) })],
                        dequantizers: [("Reference.dequantizeQ4_0", { try Reference.dequantizeQ4_0($0, count: $1, into: $2) }),
                                       ("Quantize.dequantizeQ4_0", { try Quantize.dequantizeQ4_0($0, count: $1, into: $2) })])
    }

    func testHalfRoundsLikeNumpy() throws {
        let x = try floats("half_input.f32")
        let raw = try load("half_expected.u16")
        let expected = (0..<raw.count / 2).map { UInt16(raw[2 * $0]) | UInt16(raw[2 * $0 + 1]) << 8 }
        XCTAssertEqual(x.count, expected.count)
        for i in 0..<x.count { XCTAssertEqual(Half.bits(x[i]), expected[i], "f16 of \(x[i])") }
        for i in 0..<x.count where !Half.float(expected[i]).isInfinite {
            XCTAssertEqual(Half.bits(Half.float(expected[i])), expected[i], "f16 round trip \(expected[i])")
        }
    }

    func testBlockStructSizes() {
        XCTAssertEqual(MemoryLayout<BlockQ8_0>.size, 34)
        XCTAssertEqual(MemoryLayout<BlockQ8_0>.stride, BlockQ8_0.bytes)
        XCTAssertEqual(MemoryLayout<BlockQ4_0>.size, 18)
        XCTAssertEqual(MemoryLayout<BlockQ4_0>.stride, BlockQ4_0.bytes)
    }

    func testRejectsPartialBlocks() {
        var out = [UInt8](repeating: 0, count: 64)
        let x = [Float](repeating: 1, count: 33)
        XCTAssertThrowsError(try Quantize.q8_0(x, count: 33, into: &out)) {
            XCTAssertEqual($0 as? KernelError, .notBlockMultiple(format: "q8_0", length: 33, block: 32))
        }
        XCTAssertThrowsError(try Quantize.q4_0(x, count: 33, into: &out))
        XCTAssertThrowsError(try GroupInt4Layout(rows: 1, cols: 64, group: 48))
        XCTAssertThrowsError(try GroupInt4Layout(rows: 1, cols: 96, group: 64))
    }
}
