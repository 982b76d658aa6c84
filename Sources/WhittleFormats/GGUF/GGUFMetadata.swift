/// GGUF metadata: key-value pairs in file order (the order is part of the file's bytes),
/// with lookup by key and typed accessors.
public struct GGUFMetadata: Sendable, Equatable, Sequence {
    /// The pairs in order.
    public private(set) var entries: [(key: String, value: GGUFValue)] = []
    private var index: [String: Int] = [:]

    /// Empty metadata.
    public init() {}

    /// Metadata from pairs in order; a repeated key keeps its first position and its last value.
    public init(_ pairs: [(key: String, value: GGUFValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    /// Number of pairs.
    public var count: Int { entries.count }
    /// The keys in order.
    public var keys: [String] { entries.map(\.key) }

    /// The value of `key`; setting an existing key replaces it in place, a new key is appended, nil removes.
    public subscript(key: String) -> GGUFValue? {
        get { index[key].map { entries[$0].value } }
        set {
            if let i = index[key] {
                if let v = newValue { entries[i].value = v } else { remove(at: i) }
            } else if let v = newValue {
                index[key] = entries.count
                entries.append((key, v))
            }
        }
    }

    private mutating func remove(at i: Int) {
        entries.remove(at: i)
        index = [:]
        for (j, e) in entries.enumerated() { index[e.key] = j }
    }

    /// True when `key` is present.
    public func contains(_ key: String) -> Bool { index[key] != nil }

    public func makeIterator() -> IndexingIterator<[(key: String, value: GGUFValue)]> { entries.makeIterator() }

    public static func == (a: GGUFMetadata, b: GGUFMetadata) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// A string value.
    public func string(_ key: String) -> String? { self[key]?.stringValue }
    /// An integer value of any integer type.
    public func int(_ key: String) -> Int? { self[key]?.intValue }
    /// A float value (f32, f64, or an integer converted).
    public func float(_ key: String) -> Double? { self[key]?.doubleValue }
    /// A bool value.
    public func bool(_ key: String) -> Bool? {
        if case .bool(let b)? = self[key] { return b }
        return nil
    }
    /// The array stored under `key`.
    public func array(_ key: String) -> GGUFArray? {
        if case .array(let a)? = self[key] { return a }
        return nil
    }
    /// A string array.
    public func stringArray(_ key: String) -> [String]? { array(key)?.stringValues }
    /// A float array (f32 as stored; f64 and integer arrays converted).
    public func floatArray(_ key: String) -> [Float]? { array(key)?.floatValues }
    /// An integer array of any integer element type.
    public func intArray(_ key: String) -> [Int]? { array(key)?.intValues }
}
