import WhittleFormats
import WhittleTensor

extension Dataset {
    /// A dataset from an IDX image file and an IDX label file (raw or gzip).
    /// u8 images are scaled to [0, 1]; 3-D images (n, rows, cols) gain a channel: (n, 1, rows, cols).
    public static func idxPair(images: String, labels: String) throws -> Dataset {
        let img = try IDX.read(images)
        let lab = try IDX.read(labels)
        return try fromIDX(images: img.data, labels: lab.data)
    }

    /// The conversion `idxPair` applies, for IDX tensors already in memory.
    public static func fromIDX(images img: Tensor, labels lab: Tensor) throws -> Dataset {
        guard img.rank >= 1 else { throw DataError.invalidShape("the image file holds a scalar, not samples") }
        guard lab.rank == 1 else {
            throw DataError.invalidShape("the label file must be 1-D, got shape \(shapeString(lab.shape))")
        }
        guard img.shape[0] == lab.shape[0] else { throw DataError.countMismatch(images: img.shape[0], labels: lab.shape[0]) }
        let shape = img.rank == 3 ? [img.shape[0], 1, img.shape[1], img.shape[2]] : img.shape
        let x: Tensor
        if img.dtype == .u8 {
            x = try Tensor(zeros: shape)
            let src = img.storage.bytes.assumingMemoryBound(to: UInt8.self)
            let dst = x.floats
            // Divide (not multiply by 1/255) so that values match torchvision's ToTensor exactly.
            for i in 0..<img.count { dst[i] = Float(src[i]) / 255 }
        } else {
            x = try img.toF32().reshaped(shape)
        }
        return try Dataset(images: x, labels: lab.toF32())
    }
}
