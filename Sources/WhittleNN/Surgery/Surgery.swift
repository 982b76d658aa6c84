import WhittleTensor

/// Model surgery for structured compression: shrinking a layer's outputs or inputs
/// (structured pruning) and swapping a layer for another module (low-rank factorisation).
/// Masks are sliced along with the values, so pruned entries stay pruned.
public enum Surgery {
    /// Keeps only the output units `keep` (neurons of a Linear, filters of a Conv2d), in that order.
    public static func keepOutputs(_ layer: Module, _ keep: [Int]) throws {
        let (w, b) = try weights(layer)
        let shape = w.value.shape
        let inner = shape.dropFirst().reduce(1, *)
        try slice(w, outer: 1, dim: shape[0], inner: inner, keep: keep, axis: 0)
        if let b = b { try slice(b, outer: 1, dim: shape[0], inner: 1, keep: keep, axis: 0) }
    }

    /// Keeps only the input units `keep`: features of a Linear, where one unit spans `block`
    /// consecutive features (a conv channel seen through a flatten), or channels of a Conv2d.
    public static func keepInputs(_ layer: Module, _ keep: [Int], block: Int = 1) throws {
        let (w, _) = try weights(layer)
        let shape = w.value.shape
        if layer is Conv2d {
            guard block == 1 else { throw NNError.invalidArgument("surgery: a conv2d's inputs are channels (block 1), got block \(block)") }
            try slice(w, outer: shape[0], dim: shape[1], inner: shape[2] * shape[3], keep: keep, axis: 1)
        } else {
            guard block >= 1, shape[1] % block == 0 else {
                throw NNError.invalidArgument("surgery: \(shape[1]) input features do not split into units of \(block)")
            }
            try slice(w, outer: shape[0], dim: shape[1] / block, inner: block, keep: keep, axis: 1)
        }
    }

    /// Output units of a Linear or Conv2d.
    public static func outputCount(_ layer: Module) throws -> Int { try weights(layer).0.value.shape[0] }

    /// Replaces the module at `path` (a path of `Model.layers()`, e.g. "1" or "fc1" or "3.0") by `module`,
    /// which takes over the old module's name so the other layers keep their parameter names.
    public static func replace(_ model: Model, path: String, with module: Module) throws {
        var parent: Sequential = model.root
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for (k, part) in parts.enumerated() {
            guard let i = parent.children.firstIndex(where: { $0.name == part }) else {
                throw NNError.invalidArgument("surgery: no layer at path '\(path)'")
            }
            if k == parts.count - 1 {
                module.name = parent.modules[i].name
                parent.modules[i] = module
                return
            }
            guard let inner = parent.modules[i] as? Sequential else {
                throw NNError.invalidArgument("surgery: no layer at path '\(path)'")
            }
            parent = inner
        }
    }

    /// The weight and bias of a Linear or Conv2d.
    static func weights(_ layer: Module) throws -> (Parameter, Parameter?) {
        if let l = layer as? Linear { return (l.weight, l.bias) }
        if let c = layer as? Conv2d { return (c.weight, c.bias) }
        throw NNError.invalidArgument("surgery: \(layer.typeName) has no output units to shrink (only linear and conv2d)")
    }

    /// Keeps indices `keep` of the middle axis of `p` seen as (outer, dim, inner), mask included;
    /// the result takes `shape` with `axis` resized to hold the kept units.
    static func slice(_ p: Parameter, outer: Int, dim: Int, inner: Int, keep: [Int], axis: Int) throws {
        guard !keep.isEmpty else { throw NNError.invalidArgument("surgery: cannot remove every unit") }
        if let bad = keep.first(where: { $0 < 0 || $0 >= dim }) {
            throw NNError.invalidArgument("surgery: unit index \(bad) is out of range 0..<\(dim)")
        }
        var shape = p.value.shape
        shape[axis] = shape[axis] / dim * keep.count
        let mask = try p.mask.map { try gather($0, outer: outer, dim: dim, inner: inner, keep: keep).reshaped(shape) }
        try p.replaceValue(try gather(p.value, outer: outer, dim: dim, inner: inner, keep: keep).reshaped(shape))
        if let m = mask { try p.setMask(m) }
    }

    /// The flat (outer, keep.count, inner) copy of `t`'s kept units.
    private static func gather(_ t: Tensor, outer: Int, dim: Int, inner: Int, keep: [Int]) throws -> Tensor {
        let src = t.toF32()
        defer { withExtendedLifetime(src) {} }
        let out = try Tensor(zeros: [outer * keep.count * inner])
        let s = src.floats, d = out.floats
        for o in 0..<outer {
            for (k, j) in keep.enumerated() {
                (d + (o * keep.count + k) * inner).update(from: s + (o * dim + j) * inner, count: inner)
            }
        }
        return out
    }
}
