import WhittleTensor

/// The rest of a decoder from a block's input: what per-tensor sensitivity measurements run
/// after changing one weight of block `i`, reusing the unchanged blocks' cached inputs.
extension DecoderModel {
    /// Logits (rows from `outputsFrom` on) of hidden states `x` entering block `block`: blocks
    /// `block`..<blockCount, the final norm and the output head. `x` is not modified.
    public func tailLogits(from block: Int, _ x: Tensor, outputsFrom: Int) throws -> Tensor {
        guard block >= 0 && block <= blockCount else { throw NNError.invalidArgument("block \(block) out of range (0...\(blockCount))") }
        guard x.rank == 2, x.shape[1] == spec.hidden, outputsFrom >= 0, outputsFrom < x.shape[0] else {
            throw NNError.invalidArgument("tail logits: states \(x.shape) with outputs from \(outputsFrom)")
        }
        var h = x
        for b in block..<blockCount { h = try runBlock(b, h) }
        let rows = h.shape[0] - outputsFrom
        let kept = try Tensor(zeros: [rows, spec.hidden])
        kept.floats.update(from: h.floats + outputsFrom * spec.hidden, count: rows * spec.hidden)
        try norm.applyInPlace(kept)
        return try lmHead?.apply(kept) ?? embedTokens.logits(kept)
    }
}
