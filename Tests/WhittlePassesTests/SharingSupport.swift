import WhittleData
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// Small models and data for the sharing, distillation and report tests.
enum ShareFixtures {
    /// Gaussian blobs: a learnable toy classification problem.
    static func blobs(n: Int, features: Int = 8, classes: Int = 3, seed: UInt64 = 7, spread: Float = 0.8) throws -> Dataset {
        try TestProblems.blobs(n: n, features: features, classes: classes, seed: seed, centerScale: 1.5, spread: spread)
    }

    /// An MLP (linear, relu, ..., linear) with seeded weights.
    static func mlp(_ sizes: [Int], seed: UInt64 = 3) throws -> Model { try TestProblems.mlp(sizes, seed: seed) }

    /// A registry holding the passes under test.
    static func registry() -> PassRegistry { PassRegistry(BuiltinPasses.all()) }

    /// Distinct values of a tensor.
    static func distinct(_ t: Tensor) -> Set<Float> { Set(t.toArray()) }

    /// A temporary file path removed at the end of the test.
    static func tempPath(_ test: XCTestCase, _ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-share-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Max |a - b| over two equal-shaped tensors.
    static func maxDiff(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.toArray(), b.toArray()).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
