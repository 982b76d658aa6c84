import Foundation

/// Rebuilds an encoding from a file entry.
public typealias EncodingDecoder = (EncodedEntry) throws -> ParameterEncoding

/// Decoders by format id, so `Model.load` can rebuild any stored encoding.
public enum EncodingRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var decoders: [String: EncodingDecoder] = builtinDecoders

    /// Adds or replaces the decoder for `format` (plugins' own encodings).
    public static func register(_ format: String, _ decoder: @escaping EncodingDecoder) {
        lock.lock(); decoders[format] = decoder; lock.unlock()
    }

    /// Known format ids, sorted.
    public static var formats: [String] { lock.lock(); defer { lock.unlock() }; return decoders.keys.sorted() }

    /// The decoder for `format`, or nil.
    public static func decoder(_ format: String) -> EncodingDecoder? {
        lock.lock(); defer { lock.unlock() }; return decoders[format]
    }
}
