import WhittleData
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// Small models and data for the sharing, distillation and report tests.
enum ShareFixtures {
    /// Gaussian blobs: `classes` centers in `features` dimensions, n samples (a learnable toy problem).
    static func blobs(n: Int, features: Int = 8, classes: Int = 3, seed: UInt64 = 7, spread: Float = 0.8) throws -> Dataset {
        var g = SeededGenerator(seed: 99)
        let centers = (0..<classes).map { _ in (0..<features).map { _ in 1.5 * g.normal() } }
        var s = SeededGenerator(seed: seed)
        let x = try Tensor(zeros: [n, features]), y = try Tensor(zeros: [n])
        for i in 0..<n {
            let c = i % classes
            y.floats[i] = Float(c)
            for j in 0..<features { x.floats[i * features + j] = centers[c][j] + spread * s.normal() }
        }
        return try Dataset(images: x, labels: y)
    }

    /// features -> hidden -> classes MLP with seeded weights.
    static func mlp(_ sizes: [Int], seed: UInt64 = 3) throws -> Model {
        var g = SeededGenerator(seed: seed)
        var layers: [Module] = []
        for i in 0..<(sizes.count - 1) {
            if i > 0 { layers.append(ReLU()) }
            layers.append(try Linear(sizes[i], sizes[i + 1], generator: &g))
        }
        return Model(layers)
    }

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
