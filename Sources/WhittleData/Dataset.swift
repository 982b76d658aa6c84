import WhittleTensor

/// Samples and their labels, held as two f32 tensors whose first dimension is the sample.
public final class Dataset: CustomStringConvertible {
    /// f32 (n, 1, 28, 28) scaled to [0, 1] for MNIST, or (n, features...) in general.
    public let images: Tensor
    /// f32 1-D (n): the class ids as stored (0...9 for MNIST).
    public let labels: Tensor

    /// Number of samples.
    public var count: Int { labels.count }

    /// Pairs images with labels; throws when the counts differ or the shapes are not sample-major.
    public init(images: Tensor, labels: Tensor) throws {
        guard images.rank >= 1 else { throw DataError.invalidShape("images must have a sample dimension, got a scalar") }
        guard labels.rank == 1 else {
            throw DataError.invalidShape("labels must be 1-D, got shape \(shapeString(labels.shape))")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw DataError.countMismatch(images: images.shape[0], labels: labels.shape[0])
        }
        self.images = images.dtype == .f32 ? images : images.toF32()
        self.labels = labels.dtype == .f32 ? labels : labels.toF32()
    }

    /// Elements per sample (product of the image shape after the first dimension).
    public var sampleSize: Int { images.shape.dropFirst().reduce(1, *) }

    /// The first `n` samples (all of them when `n` exceeds the count), sharing storage.
    public func take(_ n: Int) throws -> Dataset {
        guard n >= 0 else { throw DataError.invalidArgument("take: count must be >= 0, got \(n)") }
        let k = min(n, count)
        let x = try Tensor(shape: [k] + images.shape.dropFirst(), dtype: .f32, storage: images.storage)
        let y = try Tensor(shape: [k], dtype: .f32, storage: labels.storage)
        return try Dataset(images: x, labels: y)
    }

    /// Mini-batches in order or shuffled by `seed`; the last batch may be smaller.
    public func batches(size: Int, shuffle: Bool = false, seed: UInt64 = 0) throws -> BatchSequence {
        guard size >= 1 else { throw DataError.invalidArgument("batches: size must be >= 1, got \(size)") }
        var order = Array(0..<count)
        if shuffle {
            var g = SeededGenerator(seed: seed)
            // Fisher-Yates with a multiply-shift draw: portable, unlike Int.random(in:using:).
            var i = order.count - 1
            while i > 0 {
                let j = Int(UInt64(i + 1).multipliedFullWidth(by: g.next()).high)
                order.swapAt(i, j)
                i -= 1
            }
        }
        return BatchSequence(dataset: self, order: order, size: size)
    }

    /// A copy with images mapped to (x - mean) / std; labels are shared. `std` must be non-zero.
    public func normalized(mean: Float, std: Float) throws -> Dataset {
        let x = try images.checkedClone()
        let inv = 1 / std
        let p = x.floats
        for i in 0..<x.count { p[i] = (p[i] - mean) * inv }
        // Same shapes as self, which passed validation.
        return (try? Dataset(images: x, labels: labels)) ?? self
    }

    /// Mean and standard deviation over every image element (for `normalized`).
    public func statistics() -> (mean: Float, std: Float) {
        let n = images.count
        guard n > 0 else { return (0, 0) }
        var sum = 0.0, sq = 0.0
        let p = images.floats
        for i in 0..<n { let v = Double(p[i]); sum += v; sq += v * v }
        let mean = sum / Double(n)
        return (Float(mean), Float(max(0, sq / Double(n) - mean * mean).squareRoot()))
    }

    public var description: String {
        "Dataset(\(count) samples, images \(shapeString(images.shape)) f32, labels \(shapeString(labels.shape)) f32)"
    }
}

/// Lazily gathered mini-batches: each batch is copied out when iterated.
public struct BatchSequence: Sequence {
    let dataset: Dataset
    let order: [Int]
    /// Samples per batch (the last one may hold fewer).
    public let size: Int

    /// Number of batches, the last partial one included.
    public var batchCount: Int { (order.count + size - 1) / size }

    public func makeIterator() -> Iterator { Iterator(seq: self) }

    /// Yields (x, y) pairs: x has the images' shape with the batch as first dimension, y is 1-D.
    public struct Iterator: IteratorProtocol {
        let seq: BatchSequence
        var position = 0

        /// The next batch; an allocation that fails (memory budget) stops a `for` loop
        /// early, so callers that must tell the two apart use `nextBatch()`.
        public mutating func next() -> (x: Tensor, y: Tensor)? { try? nextBatch() }

        /// The next batch, nil at the end; throws an `AllocationError` when the batch does not fit.
        public mutating func nextBatch() throws -> (x: Tensor, y: Tensor)? {
            let order = seq.order
            guard position < order.count else { return nil }
            let end = Swift.min(position + seq.size, order.count)
            let rows = end - position
            let d = seq.dataset
            let row = d.sampleSize
            let x = try Tensor(zeros: [rows] + d.images.shape.dropFirst())
            let y = try Tensor(zeros: [rows])
            let src = d.images.floats, dst = x.floats
            let ys = d.labels.floats, yd = y.floats
            for r in 0..<rows {
                let s = order[position + r]
                (dst + r * row).update(from: src + s * row, count: row)
                yd[r] = ys[s]
            }
            position = end
            return (x, y)
        }
    }
}
