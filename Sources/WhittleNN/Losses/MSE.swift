import WhittleTensor

extension Loss {
    /// Mean squared error over every element; gradient 2(p − t)/count.
    public static func mse(_ prediction: Tensor, _ target: Tensor) throws -> (loss: Float, grad: Tensor) {
        try requireFloat(prediction, "mse")
        guard prediction.shape == target.shape else {
            throw NNError.shapeMismatch(layer: nil, message: "mse: prediction \(shapeString(prediction.shape)) and target \(shapeString(target.shape)) differ")
        }
        let t = target.dtype == .f32 ? target : target.toF32()
        let grad = try Tensor(zeros: prediction.shape)
        let n = prediction.count, scale = 2 / Float(max(n, 1))
        var total = 0.0
        for i in 0..<n {
            let d = prediction.floats[i] - t.floats[i]
            total += Double(d * d)
            grad.floats[i] = scale * d
        }
        return (Float(total / Double(max(n, 1))), grad)
    }
}
