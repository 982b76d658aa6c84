import Foundation
import WhittleData
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// Small tensors, models and data for the quantization and compressed-storage tests.
enum QuantFixtures {
    /// A seeded normal tensor scaled by `scale`.
    static func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) throws -> Tensor {
        var g = SeededGenerator(seed: seed)
        let t = try Tensor.randn(shape, generator: &g)
        for i in 0..<t.count { t.floats[i] *= scale }
        return t
    }

    /// Gaussian blobs: a learnable toy classification problem.
    static func blobs(n: Int, features: Int = 16, classes: Int = 4, seed: UInt64 = 5) throws -> Dataset {
        try TestProblems.blobs(n: n, features: features, classes: classes, seed: seed, centerScale: 1.2, spread: 0.9)
    }

    /// An MLP (linear, relu, ..., linear) with seeded weights.
    static func mlp(_ sizes: [Int], seed: UInt64 = 3) throws -> Model { try TestProblems.mlp(sizes, seed: seed) }

    /// A small conv net on (n, 2, 8, 8) inputs: conv 2→6 k3, relu, maxpool 2, flatten, linear 54→5.
    static func convNet(seed: UInt64 = 4) throws -> Model {
        var g = SeededGenerator(seed: seed)
        return Model([try Conv2d(2, 6, kernel: 3, generator: &g), ReLU(), try MaxPool2d(2), Flatten(),
                      try Linear(54, 5, generator: &g)])
    }

    /// Builtin passes.
    static func registry() -> PassRegistry { PassRegistry(BuiltinPasses.all()) }

    /// A fresh temporary path; removed by the caller's defer.
    static func tempPath(_ name: String) -> String {
        NSTemporaryDirectory() + "whittle-quant-\(UUID().uuidString)-\(name).safetensors"
    }

    /// Trains `model` quietly.
    static func fit(_ model: Model, _ data: Dataset, epochs: Int, lr: Float = 0.05) throws {
        var o = TrainOptions()
        o.epochs = epochs; o.learningRate = lr; o.verbose = false; o.optimizer = .sgd; o.momentum = 0.9; o.batchSize = 32
        try train(model, data, o)
    }

    /// Asserts `body` throws an error whose description is exactly `message`.
    static func assertError(_ message: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected the error: \(message)", file: file, line: line)
        } catch {
            XCTAssertEqual(String(describing: error), message, file: file, line: line)
        }
    }
}
