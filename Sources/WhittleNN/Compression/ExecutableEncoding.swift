import WhittleTensor

/// An encoding with its own matrix-product kernel, used by Linear and Conv2d in eval mode.
/// The parameter is viewed as a (rows × cols) matrix: rows = shape[0], cols = the rest.
public protocol ExecutableEncoding: ParameterEncoding {
    /// y (m × rows) = x (m × cols) · Wᵀ with the format's kernel. `input` carries a static
    /// activation quantization (from calibration) when the layer has one, else activations
    /// are quantized per row on the fly where the kernel needs integer inputs.
    func linear(_ x: UnsafePointer<Float>, count m: Int, into y: UnsafeMutablePointer<Float>,
                input: ActivationQuantization?) throws
}

extension ParameterEncoding {
    /// Rows of the (rows × cols) matrix view.
    public var matrixRows: Int { shape.first ?? 1 }
    /// Columns of the (rows × cols) matrix view.
    public var matrixCols: Int { shape.count <= 1 ? (shape.first ?? 1) : shape.dropFirst().reduce(1, *) }
}
