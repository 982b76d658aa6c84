import Foundation
import WhittleData
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// Small models and data for the pruning, low-rank and sensitivity tests.
enum PruneFixtures {
    static let registry = PassRegistry(BuiltinPasses.all())

    /// Runs a built-in pass quietly.
    @discardableResult
    static func run(_ pass: String, _ model: Model, _ options: [String: PassValue]) throws -> PassReport {
        try registry.run(pass, on: model, options: options)
    }

    /// The message of the error `body` throws (fails the test when it does not throw).
    static func message(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do { try body() } catch { return String(describing: error) }
        XCTFail("expected an error", file: file, line: line)
        return ""
    }

    /// A seeded normal tensor.
    static func randn(_ shape: [Int], seed: UInt64) throws -> Tensor {
        var g = SeededGenerator(seed: seed)
        return try Tensor.randn(shape, generator: &g)
    }

    /// An MLP (linear, relu, ..., linear) with seeded weights.
    static func mlp(_ sizes: [Int], seed: UInt64 = 3) throws -> Model { try TestProblems.mlp(sizes, seed: seed) }

    /// conv2d(1 → channels, 3x3), relu, maxpool 2, flatten, linear(channels·9 → hidden), relu, linear(hidden → classes) on 8x8 inputs.
    static func convNet(channels: Int = 4, hidden: Int = 6, classes: Int = 3, seed: UInt64 = 9) throws -> Model {
        var g = SeededGenerator(seed: seed)
        return Model([
            try Conv2d(1, channels, kernel: 3, generator: &g), ReLU(), try MaxPool2d(2), Flatten(),
            try Linear(channels * 9, hidden, generator: &g), ReLU(), try Linear(hidden, classes, generator: &g),
        ])
    }

    /// Gaussian blobs: a learnable toy classification problem.
    static func blobs(n: Int, features: Int = 16, classes: Int = 4, seed: UInt64 = 5) throws -> Dataset {
        try TestProblems.blobs(n: n, features: features, classes: classes, seed: seed, centerScale: 1.5, spread: 0.8)
    }

    /// Zero entries of a tensor.
    static func zeros(_ t: Tensor) -> Int { (0..<t.count).filter { t.floats[$0] == 0 }.count }

    /// Largest absolute difference of two same-sized tensors.
    static func maxDiff(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.count == b.count)
        return (0..<a.count).map { abs(a.floats[$0] - b.floats[$0]) }.max() ?? 0
    }
}
