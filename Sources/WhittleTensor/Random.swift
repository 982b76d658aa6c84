import Foundation

/// A seeded, portable random generator (SplitMix64 seeding xoshiro256**), so
/// that runs are reproducible across machines and Swift versions.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Standard normal sample (Box–Muller).
    public mutating func normal() -> Float {
        var u1 = uniform()
        while u1 == 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * Foundation.log(Double(u1))).squareRoot()
        return Float(r * Foundation.cos(2 * Double.pi * Double(u2)))
    }
}

extension Tensor {
    /// Standard-normal samples from `generator`.
    public static func randn(_ shape: [Int], generator: inout SeededGenerator) throws -> Tensor {
        let t = try Tensor(zeros: shape)
        for i in 0..<t.count { t.floats[i] = generator.normal() }
        return t
    }

    /// Uniform samples in [lo, hi) from `generator`.
    public static func rand(_ shape: [Int], lo: Float = 0, hi: Float = 1, generator: inout SeededGenerator) throws -> Tensor {
        let t = try Tensor(zeros: shape)
        for i in 0..<t.count { t.floats[i] = lo + (hi - lo) * generator.uniform() }
        return t
    }
}
