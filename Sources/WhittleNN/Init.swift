import Foundation
import WhittleTensor

/// The generator used when a layer is built without one: seeded, so scripts
/// that build models give the same initial weights on every run.
public enum NNInit {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var generator = SeededGenerator(seed: 0x5EED)

    /// Restarts the default sequence from `seed`.
    public static func seed(_ seed: UInt64) {
        lock.lock(); generator = SeededGenerator(seed: seed); lock.unlock()
    }

    /// Runs `body` with the default generator.
    public static func withDefault<T>(_ body: (inout SeededGenerator) throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body(&generator)
    }

    /// Uniform(-bound, bound) values of `shape`: torch's default for linear and conv
    /// (bound = 1/sqrt(fan_in)).
    public static func uniform(_ shape: [Int], bound: Float, generator: inout SeededGenerator) throws -> Tensor {
        try Tensor.rand(shape, lo: -bound, hi: bound, generator: &generator)
    }
}

/// Largest element count a layer built from a description may have (1 GiB of f32).
let maxLayerElements = 1 << 28

/// Checks a layer dimension given by a user or a file.
func checkDim(_ v: Int, _ what: String, min: Int = 1) throws {
    guard v >= min && v <= (1 << 24) else {
        throw NNError.invalidArgument("\(what) must be in [\(min), \(1 << 24)], got \(v)")
    }
}

/// Checks that a parameter of `shape` stays under the size cap.
func checkSize(_ shape: [Int], _ what: String) throws {
    let n = try Tensor.checkedCount(shape)
    guard n <= maxLayerElements else { throw NNError.invalidArgument("\(what): \(shapeString(shape)) has too many elements (\(n))") }
}
