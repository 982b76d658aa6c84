import WhittleData
import WhittleTensor

/// Datasets feed `train` and `evaluate` directly.
extension Dataset: BatchSource {
    public var exampleCount: Int { count }

    public func forEachBatch(size: Int, shuffle: Bool, seed: UInt64, _ body: (Tensor, Tensor) throws -> Void) throws {
        for (x, y) in try batches(size: size, shuffle: shuffle, seed: seed) { try body(x, y) }
    }
}
