import Foundation
import WhittleNN
import XCTest

/// GGUF files carry Llama 3.1 rope scaling as `rope_freqs.weight`, per-frequency divisors that
/// llama.cpp's converter derives from config.json's llama3 `rope_scaling`; dividing by them must
/// give the frequencies the llama3 rule gives.
final class RoPEFrequencyFactorTests: XCTestCase {
    /// The divisors as convert_hf_to_gguf.py computes them (LlamaModel.generate_extra_tensors).
    func converterFactors(dim: Int, base: Double, factor: Double, low: Double, high: Double, original: Double) -> [Double] {
        let lowWavelen = original / low, highWavelen = original / high
        return stride(from: 0, to: dim, by: 2).map { i in
            let freq = 1 / pow(base, Double(i) / Double(dim))
            let wavelen = 2 * Double.pi / freq
            if wavelen < highWavelen { return 1 }
            if wavelen > lowWavelen { return factor }
            let smooth = (original / wavelen - low) / (high - low)
            return 1 / ((1 - smooth) / factor + smooth)
        }
    }

    func testFactorsReproduceLlama3Scaling() throws {
        var llama3 = RoPEScaling()
        llama3.ropeType = "llama3"
        llama3.factor = 8; llama3.lowFreqFactor = 1; llama3.highFreqFactor = 4; llama3.originalMaxPositionEmbeddings = 16
        let reference = try RoPE(dimensions: 64, theta: 500_000, style: .normal, scaling: llama3)
        var divisors = RoPEScaling()
        divisors.frequencyFactors = converterFactors(dim: 64, base: 500_000, factor: 8, low: 1, high: 4, original: 16)
        let fromGGUF = try RoPE(dimensions: 64, theta: 500_000, style: .normal, scaling: divisors)
        XCTAssertEqual(reference.inverseFrequencies.count, 32)
        for (a, b) in zip(reference.inverseFrequencies, fromGGUF.inverseFrequencies) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(a))) }
        XCTAssertTrue(Set(divisors.frequencyFactors!).count > 2, "the test spans kept, divided and smoothed frequencies")
    }

    func testWrongFactorCountsAreErrors() {
        var s = RoPEScaling()
        s.frequencyFactors = [1, 2, 3]
        XCTAssertThrowsError(try RoPE(dimensions: 8, theta: 10_000, style: .normal, scaling: s)) { e in
            XCTAssertTrue(String(describing: e).contains("3 frequency factors for 4 rotated pairs"), "\(e)")
        }
        s.frequencyFactors = [1, 2, 0, 1]
        XCTAssertThrowsError(try RoPE(dimensions: 8, theta: 10_000, style: .normal, scaling: s))
    }
}
