import WhittleNN
import WhittleTensor
import XCTest

/// An in-memory dataset for tests: x (n, ...) and labels (n).
struct ArraySource: BatchSource {
    let x: Tensor
    let y: Tensor
    var exampleCount: Int { x.shape[0] }

    func forEachBatch(size: Int, shuffle: Bool, seed: UInt64, _ body: (Tensor, Tensor) throws -> Void) throws {
        var order = Array(0..<exampleCount)
        if shuffle { var g = SeededGenerator(seed: seed); order.shuffle(using: &g) }
        let row = x.count / exampleCount
        var start = 0
        while start < exampleCount {
            let idx = order[start..<min(start + size, exampleCount)]
            var shape = x.shape
            shape[0] = idx.count
            let bx = try Tensor(zeros: shape), by = try Tensor(zeros: [idx.count])
            for (k, i) in idx.enumerated() {
                (bx.floats + k * row).update(from: x.floats + i * row, count: row)
                by.floats[k] = y.floats[i]
            }
            try body(bx, by)
            start += size
        }
    }
}

/// Two Gaussian-ish blobs per class in `features` dimensions: a learnable toy problem.
func blobs(n: Int, features: Int, classes: Int, seed: UInt64) throws -> ArraySource {
    var g = SeededGenerator(seed: seed)
    var centers: [[Float]] = []
    for _ in 0..<classes { centers.append((0..<features).map { _ in 2 * g.normal() }) }
    let x = try Tensor(zeros: [n, features]), y = try Tensor(zeros: [n])
    for i in 0..<n {
        let c = i % classes
        y.floats[i] = Float(c)
        for j in 0..<features { x.floats[i * features + j] = centers[c][j] + 0.7 * g.normal() }
    }
    return ArraySource(x: x, y: y)
}

func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) throws -> Tensor {
    var g = SeededGenerator(seed: seed)
    let t = try Tensor.randn(shape, generator: &g)
    for i in 0..<t.count { t.floats[i] *= scale }
    return t
}

/// Σ f(x) ⊙ r: a scalar whose gradient wrt f(x) is r.
func weightedSum(_ y: Tensor, _ r: Tensor) -> Double {
    var s = 0.0
    for i in 0..<y.count { s += Double(y.floats[i]) * Double(r.floats[i]) }
    return s
}

/// Central-difference gradient check of `module` wrt its input and each parameter.
func checkGradients(_ module: Module, input x: Tensor, eps: Float = 1e-2, tolerance: Double = 2e-2,
                    prepare: () -> Void = {}, file: StaticString = #filePath, line: UInt = #line) throws {
    prepare()
    let y = try module.forward(x)
    let r = try randn(y.shape, seed: 99)
    module.zeroGrad()
    let gx = try module.backward(r)
    XCTAssertEqual(gx.shape, x.shape, "input gradient shape", file: file, line: line)
    func objective() throws -> Double { prepare(); return weightedSum(try module.forward(x), r) }
    func compare(_ name: String, _ values: Tensor, _ analytic: [Float]) throws {
        var worst = 0.0
        let stride = max(1, values.count / 40)  // a spread of entries keeps tests fast
        for i in Swift.stride(from: 0, to: values.count, by: stride) {
            let old = values.floats[i]
            values.floats[i] = old + eps
            let up = try objective()
            values.floats[i] = old - eps
            let down = try objective()
            values.floats[i] = old
            let numeric = (up - down) / Double(2 * eps)
            let err = abs(numeric - Double(analytic[i])) / max(1, abs(numeric))
            worst = max(worst, err)
            XCTAssertLessThan(err, tolerance, "\(name)[\(i)]: numeric \(numeric) analytic \(analytic[i])", file: file, line: line)
        }
        XCTAssertLessThan(worst, tolerance, file: file, line: line)
    }
    try compare("input", x, gx.toArray())
    for (name, p) in module.parameters() { try compare(name, p.value, p.grad.toArray()) }
}
