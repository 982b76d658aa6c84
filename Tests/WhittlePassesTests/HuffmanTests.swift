import WhittlePasses
import WhittleTensor
import XCTest

final class HuffmanTests: XCTestCase {
    func testDyadicDistributionGetsExactLengths() {
        XCTAssertEqual(Huffman.codeLengths([8, 4, 2, 1, 1]), [1, 2, 3, 4, 4])
        XCTAssertEqual(Huffman.encodedBits([8, 4, 2, 1, 1]), 8 + 8 + 6 + 4 + 4)
    }

    func testUnusedAndLoneSymbols() {
        XCTAssertEqual(Huffman.codeLengths([0, 5, 0]), [0, 1, 0])
        XCTAssertEqual(Huffman.codeLengths([0, 0]), [0, 0])
        XCTAssertEqual(Huffman.codeLengths([3, 0, 3]), [1, 0, 1])
    }

    func testKraftEqualityAndPrefixFreedomOnRandomDistributions() throws {
        var g = SeededGenerator(seed: 5)
        for trial in 0..<50 {
            let n = 2 + trial % 40
            let f = (0..<n).map { _ in 1 + Int(g.next() % 1000) }
            let l = Huffman.codeLengths(f)
            let kraft = l.reduce(0.0) { $0 + pow(2.0, -Double($1)) }
            XCTAssertEqual(kraft, 1, accuracy: 1e-12, "a full binary tree: Kraft sum is exactly 1")
            let codes = try XCTUnwrap(Huffman.canonicalCodes(l))
            for i in 0..<n {
                for j in 0..<n where i != j && l[i] <= l[j] {
                    XCTAssertNotEqual(codes[j] >> UInt64(l[j] - l[i]), codes[i], "code \(i) is a prefix of code \(j)")
                }
            }
        }
    }

    /// Brute force: the minimum Σ f·l over every length vector (lengths 1...n-1) with Kraft sum ≤ 1.
    func testOptimalOnSmallCases() {
        var g = SeededGenerator(seed: 11)
        for trial in 0..<40 {
            let n = 2 + trial % 4
            let f = (0..<n).map { _ in 1 + Int(g.next() % 20) }
            var best = Int.max
            var l = [Int](repeating: 1, count: n)
            func search(_ i: Int) {
                if i == n {
                    if l.reduce(0.0, { $0 + pow(2.0, -Double($1)) }) <= 1 + 1e-12 { best = min(best, zip(f, l).reduce(0) { $0 + $1.0 * $1.1 }) }
                    return
                }
                for len in 1..<n { l[i] = len; search(i + 1) }
            }
            search(0)
            XCTAssertEqual(Huffman.encodedBits(f), best, "frequencies \(f)")
        }
    }

    func testSkewedStreamCodesBelowFixedWidth() {
        let symbols: [UInt32] = Array(repeating: 0, count: 900) + Array(repeating: 1, count: 60) + Array(repeating: 7, count: 40)
        let bits = Huffman.encodedBits(Huffman.frequencies(symbols, alphabet: 8))
        XCTAssertEqual(bits, 900 * 1 + 60 * 2 + 40 * 2)
        XCTAssertLessThan(bits, symbols.count * 3)
    }
}
