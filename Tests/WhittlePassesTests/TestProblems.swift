import WhittleData
import WhittleNN
import WhittleTensor

/// Seeded toy models and data shared by the pass tests.
enum TestProblems {
    /// linear(sizes[0] -> sizes[1]), relu, ..., linear(-> sizes.last) with seeded weights.
    static func mlp(_ sizes: [Int], seed: UInt64) throws -> Model {
        var g = SeededGenerator(seed: seed)
        var layers: [Module] = []
        for i in 0..<(sizes.count - 1) {
            if i > 0 { layers.append(ReLU()) }
            layers.append(try Linear(sizes[i], sizes[i + 1], generator: &g))
        }
        return Model(layers)
    }

    /// Gaussian blobs: `classes` fixed centers (scaled by `centerScale`) in `features`
    /// dimensions, samples spread around them by `spread`, labels cycling through the classes.
    static func blobs(n: Int, features: Int, classes: Int, seed: UInt64, centerScale: Float, spread: Float) throws -> Dataset {
        var g = SeededGenerator(seed: 1234)
        let centers = (0..<classes).map { _ in (0..<features).map { _ in centerScale * g.normal() } }
        var s = SeededGenerator(seed: seed)
        let x = try Tensor(zeros: [n, features]), y = try Tensor(zeros: [n])
        for i in 0..<n {
            let c = i % classes
            y.floats[i] = Float(c)
            for j in 0..<features { x.floats[i * features + j] = centers[c][j] + spread * s.normal() }
        }
        return try Dataset(images: x, labels: y)
    }
}
