import WhittleTensor

/// Writing safetensors files.
public enum Safetensors {
    /// Atomic write (temp file in same dir, fsync, rename); names sorted like the reference writer.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String], to path: String) throws {
        let header = try headerBytes(tensors, metadata: metadata)
        let ordered = sortedLikeReference(tensors)
        try AtomicFile.write(to: path) { sink in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try sink.write($0) }
            try sink.write(header)
            for (_, t) in ordered {
                try sink.write(UnsafeRawBufferPointer(start: t.storage.bytes, count: t.byteCount))
            }
        }
    }

    /// The whole file image in memory (what `write` puts on disk).
    public static func serialize(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) throws -> [UInt8] {
        let header = try headerBytes(tensors, metadata: metadata)
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out += header
        for (_, t) in sortedLikeReference(tensors) {
            out.append(contentsOf: UnsafeRawBufferPointer(start: t.storage.bytes, count: t.byteCount))
        }
        return out
    }

    /// Descending dtype alignment, then name (bytewise, as Rust compares strings): the
    /// reference's order, which keeps every tensor aligned given the 8-byte header padding.
    static func sortedLikeReference(_ tensors: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
        tensors.sorted { a, b in
            let da = SafetensorsDType(a.tensor.dtype) ?? .u8, db = SafetensorsDType(b.tensor.dtype) ?? .u8
            if da != db { return da > db }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
    }

    /// The JSON header padded with spaces to a multiple of 8 bytes.
    static func headerBytes(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) throws -> [UInt8] {
        var names = Set<String>()
        for (name, t) in tensors {
            guard SafetensorsDType(t.dtype) != nil else {
                throw SafetensorsError.invalidWrite("tensor '\(name)' is \(t.dtype), a ggml block type that safetensors cannot hold")
            }
            guard name != "__metadata__" else { throw SafetensorsError.invalidWrite("'__metadata__' is reserved and cannot name a tensor") }
            guard names.insert(name).inserted else { throw SafetensorsError.invalidWrite("tensor name '\(name)' is used twice") }
        }
        var parts: [String] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let body = keys.map { JSONWriter.quote($0) + ":" + JSONWriter.quote(metadata[$0] ?? "") }.joined(separator: ",")
            parts.append("\"__metadata__\":{" + body + "}")
        }
        var offset = 0
        for (name, t) in sortedLikeReference(tensors) {
            let end = offset + t.byteCount
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append(JSONWriter.quote(name) + ":{\"dtype\":\"\((SafetensorsDType(t.dtype)?.rawValue ?? "U8"))\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var bytes = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        bytes += [UInt8](repeating: 0x20, count: (8 - bytes.count % 8) % 8)
        guard UInt64(bytes.count) <= SafetensorsHeader.maxHeaderBytes else {
            throw SafetensorsError.invalidWrite("header of \(bytes.count) bytes exceeds the 100000000-byte limit")
        }
        return bytes
    }
}
