import Foundation

/// config.json's `rope_scaling` object (the types Whittle runs: linear and llama3).
public struct RoPEScaling: Codable, Sendable, Equatable {
    /// "linear", "llama3" or "default" (older files say `type`).
    public var ropeType: String?
    public var type: String?
    /// Context extension factor.
    public var factor: Double?
    /// llama3: wavelengths beyond original_ctx / low_freq_factor are divided by factor.
    public var lowFreqFactor: Double?
    /// llama3: wavelengths below original_ctx / high_freq_factor are kept.
    public var highFreqFactor: Double?
    /// llama3: the pre-training context.
    public var originalMaxPositionEmbeddings: Double?
    /// Per-frequency divisors, as GGUF files store Llama 3.1 scaling (`rope_freqs.weight`):
    /// frequency i is divided by frequencyFactors[i], after any `kind` scaling.
    public var frequencyFactors: [Double]?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type", type, factor
        case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// No scaling (set the fields that apply).
    public init() {}

    /// The scaling kind, defaulting to "default".
    public var kind: String { ropeType ?? type ?? "default" }
}

/// Rotary position embedding over the first `dimensions` elements of each head.
public struct RoPE: Sendable {
    /// Which elements are rotated together.
    public enum Style: String, Sendable {
        /// Adjacent pairs (2i, 2i+1): llama.cpp's "normal" mode, which GGUF Llama files use on their permuted q/k rows.
        case normal
        /// Halves (i, i + d/2): Hugging Face's `rotate_half`, llama.cpp's NeoX mode.
        case neox
    }

    /// Rotated elements per head (even).
    public let dimensions: Int
    /// Pairing of rotated elements.
    public let style: Style
    /// θ_i = position · inverseFrequencies[i].
    public let inverseFrequencies: [Double]

    /// Frequencies θ^(-2i/d), adjusted by `scaling`; throws on a scaling type Whittle does not run.
    public init(dimensions: Int, theta: Double, style: Style, scaling: RoPEScaling? = nil) throws {
        guard dimensions > 0, dimensions % 2 == 0 else { throw NNError.invalidModel("rope: dimensions must be even and positive, got \(dimensions)") }
        guard theta > 0 else { throw NNError.invalidModel("rope: theta must be positive, got \(theta)") }
        self.dimensions = dimensions
        self.style = style
        var inv = (0..<(dimensions / 2)).map { 1 / pow(theta, Double(2 * $0) / Double(dimensions)) }
        if let s = scaling {
            switch s.kind {
            case "default": break
            case "linear":
                let f = s.factor ?? 1
                inv = inv.map { $0 / f }
            case "llama3":
                guard let f = s.factor, let lo = s.lowFreqFactor, let hi = s.highFreqFactor,
                      let old = s.originalMaxPositionEmbeddings, hi > lo else {
                    throw NNError.invalidModel("rope_scaling llama3 needs factor, low_freq_factor < high_freq_factor and original_max_position_embeddings")
                }
                let lowWavelen = old / lo, highWavelen = old / hi
                inv = inv.map { freq in
                    let wavelen = 2 * Double.pi / freq
                    if wavelen < highWavelen { return freq }
                    if wavelen > lowWavelen { return freq / f }
                    let smooth = (old / wavelen - lo) / (hi - lo)
                    return (1 - smooth) * freq / f + smooth * freq
                }
            default:
                throw NNError.invalidModel("rope_scaling type '\(s.kind)' is not supported (supported: default, linear, llama3)")
            }
            if let factors = s.frequencyFactors {
                guard factors.count == inv.count else {
                    throw NNError.invalidModel("rope: \(factors.count) frequency factors for \(inv.count) rotated pairs")
                }
                guard factors.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw NNError.invalidModel("rope: frequency factors must be positive") }
                inv = zip(inv, factors).map { $0 / $1 }
            }
        }
        inverseFrequencies = inv
    }

    /// Rotates `heads` heads of `headDim` elements at `x` for `position`.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, position: Int) {
        let half = dimensions / 2
        var cosines = [Float](repeating: 0, count: half), sines = [Float](repeating: 0, count: half)
        for i in 0..<half {
            let angle = Double(position) * inverseFrequencies[i]
            cosines[i] = Float(cos(angle))
            sines[i] = Float(sin(angle))
        }
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<half {
                let (a, b) = style == .neox ? (i, i + half) : (2 * i, 2 * i + 1)
                let x0 = v[a], x1 = v[b]
                v[a] = x0 * cosines[i] - x1 * sines[i]
                v[b] = x0 * sines[i] + x1 * cosines[i]
            }
        }
    }
}
