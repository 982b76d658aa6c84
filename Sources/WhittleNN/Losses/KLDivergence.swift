import Foundation
import WhittleTensor

extension Loss {
    /// Hinton distillation term: T² · KL(softmax(teacher/T) ‖ softmax(student/T)), mean over the batch,
    /// with its gradient wrt the student logits, T·(p_student − p_teacher)/n.
    /// The T² factor keeps the soft-target gradients on the same scale as the hard-label
    /// cross-entropy whatever T is (their magnitude shrinks as 1/T²), so α mixes them fairly.
    public static func klDivergence(student: Tensor, teacher: Tensor, temperature: Float) throws -> (loss: Float, grad: Tensor) {
        guard temperature > 0 && temperature.isFinite else {
            throw NNError.invalidArgument("kl_divergence: 'temperature' must be > 0, got \(temperature)")
        }
        let (n, c) = try rows(student, "kl_divergence")
        guard teacher.shape == student.shape else {
            throw NNError.shapeMismatch(layer: nil, message: "kl_divergence: student \(shapeString(student.shape)) and teacher \(shapeString(teacher.shape)) differ")
        }
        try requireFloat(teacher, "kl_divergence")
        let t = temperature
        let grad = try Tensor(zeros: student.shape)
        var pt = [Float](repeating: 0, count: c)
        var total = 0.0
        for r in 0..<n {
            let s = student.floats + r * c, g = grad.floats + r * c
            pt.withUnsafeMutableBufferPointer { b in if let p = b.baseAddress { softmaxRow(teacher.floats + r * c, p, c, temperature: t) } }
            softmaxRow(s, g, c, temperature: t)
            let ls = logSoftmax(s, c, t)
            let lt = logSoftmax(teacher.floats + r * c, c, t)
            for j in 0..<c where pt[j] > 0 { total += Double(pt[j]) * (lt[j] - ls[j]) }
            for j in 0..<c { g[j] = t * (g[j] - pt[j]) / Float(max(n, 1)) }
        }
        return (Float(Double(t * t) * total / Double(max(n, 1))), grad)
    }

    /// log softmax(x/T) in Double.
    private static func logSoftmax(_ x: UnsafePointer<Float>, _ c: Int, _ t: Float) -> [Double] {
        var mx = -Double.infinity
        for j in 0..<c { mx = max(mx, Double(x[j] / t)) }
        var s = 0.0
        for j in 0..<c { s += Foundation.exp(Double(x[j] / t) - mx) }
        let lse = mx + Foundation.log(s)
        return (0..<c).map { Double(x[$0] / t) - lse }
    }
}
