import WhittleNN
import WhittleTensor
import XCTest

/// Seeded mutations of a valid architecture: decoding (and a forward pass when it succeeds)
/// must either work or throw, never trap.
final class ArchitectureFuzzTests: XCTestCase {
    func testMutatedArchitecturesThrowOrWork() throws {
        var g = SeededGenerator(seed: 1)
        let m = Model([try Conv2d(1, 2, kernel: 3, padding: 1, generator: &g), try MaxPool2d(2), ReLU(), Flatten(),
                       try Linear(2 * 4 * 4, 3, generator: &g), try Dropout(0.5), Softmax()])
        let json = Array(m.architectureJSON.utf8)
        let stored = Dictionary(uniqueKeysWithValues: m.parameters().map { ($0.name, $0.parameter.value) })
        let x = try randn([2, 1, 8, 8], seed: 2)
        let replacements = Array("0123456789-.e\"{}[],:xtrue".utf8) + [0xFF, 0x00]
        var rng = SeededGenerator(seed: 42)
        var decoded = 0, rejected = 0
        for _ in 0..<3000 {
            var bytes = json
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[i] = replacements[Int(rng.next() % UInt64(replacements.count))]
                case 1: bytes.remove(at: i)
                default: bytes.insert(replacements[Int(rng.next() % UInt64(replacements.count))], at: i)
                }
            }
            do {
                let root = try Architecture.decode(String(decoding: bytes, as: UTF8.self)) { stored[$0] }
                decoded += 1
                _ = try? Model(root).forward(x)
            } catch is NNError {
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 1000)
        XCTAssertGreaterThan(decoded, 10)
    }
}
