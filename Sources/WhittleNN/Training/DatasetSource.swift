import WhittleData
import WhittleTensor

/// Datasets feed `train` and `evaluate` directly.
extension Dataset: BatchSource {
    public var exampleCount: Int { count }

    public func forEachBatch(size: Int, shuffle: Bool, seed: UInt64, _ body: (Tensor, Tensor) throws -> Void) throws {
        // nextBatch, not for-in: a batch over the memory budget must fail, not end the epoch.
        var batches = try batches(size: size, shuffle: shuffle, seed: seed).makeIterator()
        while let (x, y) = try batches.nextBatch() { try body(x, y) }
    }
}
