import WhittleKernels
import WhittleNN
import WhittleTensor
import XCTest

/// Linear and Conv2d run encoded weights with the quantized kernels in eval mode.
final class CompressionExecutionTests: XCTestCase {
    /// y = x·Wᵀ + b in f32 with the decoded weight, by a plain loop.
    private func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ m: Int, _ k: Int, _ n: Int, quantize: ((Float) -> Float)? = nil) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k { s += Double(quantize?(x.floats[i * k + p]) ?? x.floats[i * k + p]) * Double(w.floats[j * k + p]) }
                y[i * n + j] = Float(s) + (b?.floats[j] ?? 0)
            }
        }
        return y
    }

    func testInt8LinearMatchesDequantizedWeightsWithinActivationRounding() throws {
        let (m, k, n) = (5, 70, 9)
        let layer = try Linear(weight: try QuantFixtures.randn([n, k], seed: 1, scale: 0.2), bias: try QuantFixtures.randn([n], seed: 2))
        try layer.weight.setEncoding(try Int8Encoding.quantize(layer.weight.value, perChannel: true, symmetric: false))
        let x = try QuantFixtures.randn([m, k], seed: 3)
        let y = try layer.forward(x)
        let exact = reference(x, layer.weight.value, layer.bias?.value, m, k, n)
        for i in 0..<m {
            // Dynamic per-row activation quantization: each input is off by at most half its row's step.
            let step = (0..<k).map { abs(x.floats[i * k + $0]) }.max()! / 127
            for j in 0..<n {
                let bound = (0..<k).reduce(Float(0)) { $0 + abs(layer.weight.value.floats[j * k + $1]) } * step / 2 + 1e-4
                XCTAssertLessThanOrEqual(abs(y.floats[i * n + j] - exact[i * n + j]), bound)
            }
        }
        // Not fake quantization: the result differs from the f32 product of the decoded weights.
        XCTAssertNotEqual(y.toArray(), exact)
    }

    func testStaticActivationQuantizationEqualsTheRoundedInputProduct() throws {
        let (m, k, n) = (4, 33, 6)
        let layer = try Linear(weight: try QuantFixtures.randn([n, k], seed: 4, scale: 0.3), bias: nil)
        try layer.weight.setEncoding(try Int8Encoding.quantize(layer.weight.value, perChannel: true, symmetric: true))
        let a = try ActivationQuantization(low: -0.5, high: 2.5, symmetric: false)
        layer.inputQuantization = a
        let x = try QuantFixtures.randn([m, k], seed: 5)
        let y = try layer.forward(x)
        let expected = reference(x, layer.weight.value, nil, m, k, n, quantize: a.roundTrip)
        for i in 0..<m * n { XCTAssertEqual(y.floats[i], expected[i], accuracy: 1e-4 * (1 + abs(expected[i]))) }
    }

    func testBlockFormatsRunTheirKernelsWithinQ8ActivationError() throws {
        let (m, k, n) = (3, 50, 7)  // 50 pads to 64
        for enc in ["q8_0", "q4_0", "int4"] {
            let layer = try Linear(weight: try QuantFixtures.randn([n, k], seed: 6, scale: 0.2), bias: try QuantFixtures.randn([n], seed: 7))
            let e: ParameterEncoding = enc == "int4" ? try Int4Encoding.quantize(layer.weight.value, group: 64)
                : try BlockEncoding.quantize(layer.weight.value, kind: enc == "q8_0" ? .q8_0 : .q4_0)
            try layer.weight.setEncoding(e)
            let x = try QuantFixtures.randn([m, k], seed: 8)
            let y = try layer.forward(x)
            let exact = reference(x, layer.weight.value, layer.bias?.value, m, k, n)
            for i in 0..<m {
                for j in 0..<n {
                    // Activations go to Q8_0 blocks of 32: half a step of each block's amax/127 (f16 scale).
                    var bound: Float = 1e-4
                    for p in 0..<k {
                        let blk = (p / 32) * 32, amax = (blk..<min(blk + 32, k)).map { abs(x.floats[i * k + $0]) }.max()!
                        bound += abs(layer.weight.value.floats[j * k + p]) * (amax / 127 * 0.5 + amax * 1e-3)
                    }
                    XCTAssertLessThanOrEqual(abs(y.floats[i * n + j] - exact[i * n + j]), bound, enc)
                }
            }
        }
    }

    func testTrainingModeUsesTheDecodedF32Weights() throws {
        let layer = try Linear(weight: try QuantFixtures.randn([4, 32], seed: 9), bias: nil)
        try layer.weight.setEncoding(try BlockEncoding.quantize(layer.weight.value, kind: .q4_0))
        let plain = try Linear(weight: layer.weight.value.clone(), bias: nil)
        let x = try QuantFixtures.randn([2, 32], seed: 10)
        layer.setTraining(true); plain.setTraining(true)
        XCTAssertEqual(try layer.forward(x).toArray(), try plain.forward(x).toArray())
    }

    func testConv2dRunsTheQuantizedGEMMAndMatchesTheF32Convolution() throws {
        var g = SeededGenerator(seed: 11)
        let conv = try Conv2d(3, 5, kernel: 3, stride: 1, padding: 1, generator: &g)
        try conv.weight.setEncoding(try Int8Encoding.quantize(conv.weight.value, perChannel: true, symmetric: true))
        let plain = try Conv2d(weight: conv.weight.value.clone(), bias: conv.bias?.value.clone(), stride: 1, padding: 1)
        let x = try QuantFixtures.randn([2, 3, 6, 6], seed: 12)
        let yq = try conv.forward(x), yf = try plain.forward(x)
        XCTAssertEqual(yq.shape, yf.shape)
        var maxDiff: Float = 0, maxOut: Float = 0
        for i in 0..<yq.count { maxDiff = max(maxDiff, abs(yq.floats[i] - yf.floats[i])); maxOut = max(maxOut, abs(yf.floats[i])) }
        XCTAssertGreaterThan(maxDiff, 0)
        XCTAssertLessThan(maxDiff, 0.02 * maxOut)
        // Static activations on the conv input: equal to the f32 convolution of the rounded input.
        let a = try ActivationQuantization(low: -3, high: 3, symmetric: false)
        conv.inputQuantization = a
        let xr = x.clone()
        for i in 0..<xr.count { xr.floats[i] = a.roundTrip(xr.floats[i]) }
        let ys = try conv.forward(x), yr = try plain.forward(xr)
        for i in 0..<ys.count { XCTAssertEqual(ys.floats[i], yr.floats[i], accuracy: 1e-4 * (1 + abs(yr.floats[i]))) }
    }
}
