import WhittleTensor

/// A trainable tensor: its value, the gradient accumulated by `backward`, and an
/// optional 0/1 mask whose zero entries stay exactly zero through training.
public final class Parameter {
    /// The current value: f32 for trainable layers, or a checkpoint's stored type
    /// (f16, bf16, a ggml block type; possibly borrowing a mapped file) for `init(stored:)`.
    /// Shared with Lua, so edits are seen by the layer.
    public var value: Tensor
    /// Sum of gradients since the last `zeroGrad()`, same shape as `value` (f32); allocated on
    /// first use, so inference-only parameters never hold one.
    public var grad: Tensor {
        get {
            if let g = storedGrad { return g }
            // The value's shape was validated when it was made; only an f32 size overflow can fail.
            let g = (try? Tensor(zeros: value.shape)) ?? Tensor(scalar: 0)
            storedGrad = g
            return g
        }
        set { storedGrad = newValue }
    }
    private var storedGrad: Tensor?
    /// True when a gradient has been allocated (tests check that inference allocates none).
    public var hasGradient: Bool { storedGrad != nil }
    /// 1 keeps an entry, 0 prunes it; nil means dense.
    public private(set) var mask: Tensor?
    /// False freezes the parameter: optimizers skip it.
    public var trainable = true
    /// The compact stored form (int8, Q4_0, CSR, codebook...), or nil for dense f32; see `ParameterEncoding`.
    public private(set) var encoding: ParameterEncoding?
    private var trainableBeforeEncoding = true

    /// Wraps `value` (copied into owned, writable f32 storage when it is not already).
    public init(_ value: Tensor) throws {
        let v = value.dtype == .f32 ? value : try value.checkedF32()
        try v.checkedMakeWritable()
        self.value = v
    }

    /// Wraps `value` as stored (any dtype, mapped or owned), without copying: an inference weight.
    /// It is frozen; a pass that rewrites it replaces the value.
    public init(stored value: Tensor) {
        self.value = value
        trainable = false
        trainableBeforeEncoding = false
    }

    /// Number of elements.
    public var count: Int { value.count }

    /// Sets the mask (same shape as the value) and zeroes the pruned entries now; nil removes it.
    public func setMask(_ mask: Tensor?) throws {
        guard let m = mask else { self.mask = nil; return }
        try value.requireF32("mask")
        guard m.shape == value.shape else {
            throw NNError.invalidArgument("mask shape \(shapeString(m.shape)) does not match parameter shape \(shapeString(value.shape))")
        }
        let f = m.toF32()
        for i in 0..<f.count { f.floats[i] = f.floats[i] != 0 ? 1 : 0 }
        self.mask = f
        applyMask()
    }

    /// Zeroes the masked-out entries of the value.
    public func applyMask() {
        guard let m = mask else { return }
        value.makeWritable()
        multiplyInPlace(value.floats, m.floats, value.count)
    }

    /// Zeroes the masked-out entries of the gradient.
    public func maskGrad() {
        guard let m = mask else { return }
        multiplyInPlace(grad.floats, m.floats, grad.count)
    }

    /// Clears the gradient (called before each batch).
    public func zeroGrad() {
        guard let grad = storedGrad else { return }
        grad.floats.update(repeating: 0, count: grad.count)
    }

    /// Attaches an encoding: the value becomes its decoding and the parameter is frozen (an encoded
    /// weight is not trained; remove the encoding first). nil drops it and restores trainability.
    public func setEncoding(_ e: ParameterEncoding?) throws {
        guard let e else {
            if encoding != nil { trainable = trainableBeforeEncoding }
            encoding = nil
            return
        }
        guard e.shape == value.shape else {
            throw NNError.invalidArgument("\(e.format) encoding of shape \(shapeString(e.shape)) does not match parameter shape \(shapeString(value.shape))")
        }
        try setEncoding(e, decoded: e.decode())
    }

    /// `setEncoding` with the decoding already computed (the loader has it).
    func setEncoding(_ e: ParameterEncoding, decoded dense: Tensor) throws {
        guard dense.shape == value.shape, dense.dtype == .f32 else {
            throw NNError.invalidArgument("\(e.format) encoding decodes to \(dense.dtype) \(shapeString(dense.shape)), parameter is \(shapeString(value.shape))")
        }
        dense.makeWritable()
        value = dense
        if encoding == nil { trainableBeforeEncoding = trainable }
        encoding = e
        trainable = false
    }

    /// Takes everything but the value from `other`: mask, frozen state and encoding
    /// (what a layer copy needs once its value is a clone of `other`'s).
    func copyState(from other: Parameter?) throws {
        guard let other else { return }
        try setMask(other.mask)
        encoding = other.encoding
        trainableBeforeEncoding = other.trainableBeforeEncoding
        trainable = other.trainable
    }

    /// Replaces the value (e.g. after surgery), resizing the gradient and dropping a mask that no longer fits.
    public func replaceValue(_ newValue: Tensor) throws {
        // The encoding described the old value.
        try setEncoding(nil)
        let v = newValue.dtype == .f32 ? newValue : try newValue.checkedF32()
        try v.checkedMakeWritable()
        if v.shape != value.shape {
            storedGrad = nil
            mask = nil
        }
        value = v
        applyMask()
    }

    /// A deep copy (value, mask; gradient zeroed).
    public func copy() throws -> Parameter {
        // A stored-type value stays in its type.
        let p = value.dtype == .f32 ? try Parameter(value.checkedClone()) : Parameter(stored: try value.checkedClone())
        p.mask = try mask?.checkedClone()
        p.trainable = trainable
        p.encoding = encoding  // encodings are immutable, so sharing one is safe
        p.trainableBeforeEncoding = trainableBeforeEncoding
        return p
    }
}

@inline(__always) func multiplyInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) {
    for i in 0..<n { a[i] *= b[i] }
}
