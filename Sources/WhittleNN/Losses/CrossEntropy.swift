import Foundation
import WhittleTensor

/// Losses return the mean loss over the batch and its gradient wrt the prediction.
public enum Loss {
    /// Softmax cross-entropy from logits (n, classes) and class ids (n), mean over the batch.
    /// Stable: log-sum-exp with the row maximum subtracted. Gradient: (softmax − onehot)/n.
    public static func crossEntropy(logits: Tensor, labels: Tensor) throws -> (loss: Float, grad: Tensor) {
        let (n, c) = try rows(logits, "cross_entropy")
        guard labels.count == n else {
            throw NNError.shapeMismatch(layer: nil, message: "cross_entropy: \(n) predictions but \(labels.count) labels")
        }
        let grad = try Tensor(zeros: logits.shape)
        var total = 0.0
        let inv = 1 / Float(max(n, 1))
        for r in 0..<n {
            let y = labels.element(at: r)
            guard y >= 0, y < Float(c), y == y.rounded() else {
                throw NNError.invalidArgument("cross_entropy: label \(y) of row \(r + 1) is not a class id in 0..<\(c)")
            }
            let x = logits.floats + r * c, g = grad.floats + r * c
            softmaxRow(x, g, c, temperature: 1)
            let p = Double(g[Int(y)])
            total -= p > 0 ? Foundation.log(p) : logOfTiny(x, c, Int(y))
            g[Int(y)] -= 1
            for j in 0..<c { g[j] *= inv }
        }
        return (Float(total / Double(max(n, 1))), grad)
    }

    /// −log softmax(x)[y] computed directly when the probability underflows to 0.
    private static func logOfTiny(_ x: UnsafePointer<Float>, _ c: Int, _ y: Int) -> Double {
        var mx = -Double.infinity
        for j in 0..<c { mx = max(mx, Double(x[j])) }
        var s = 0.0
        for j in 0..<c { s += Foundation.exp(Double(x[j]) - mx) }
        return Double(x[y]) - mx - Foundation.log(s)
    }

    /// (rows, columns) of a prediction: a 2-D (n, classes) tensor.
    static func rows(_ t: Tensor, _ what: String) throws -> (Int, Int) {
        try requireFloat(t, what)
        guard t.rank == 2, t.shape[1] > 0 else {
            throw NNError.shapeMismatch(layer: nil, message: "\(what): expected predictions of shape (batch, classes), got \(shapeString(t.shape))")
        }
        return (t.shape[0], t.shape[1])
    }
}
