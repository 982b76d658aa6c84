import WhittleTensor

/// Anything `train` and `evaluate` can draw (input, label) batches from.
/// WhittleData's `Dataset` conforms; tests use small in-memory sources.
public protocol BatchSource {
    /// Number of examples.
    var exampleCount: Int { get }
    /// Calls `body` with each batch of at most `size` examples, shuffled by `seed` when asked.
    func forEachBatch(size: Int, shuffle: Bool, seed: UInt64, _ body: (Tensor, Tensor) throws -> Void) throws
}
