/// A map from byte strings to token ids that looks keys up from a buffer slice without
/// allocating: tokenizers probe it for every candidate merge, so String keys would dominate.
struct ByteStringTable: Sendable {
    private var bytes: [UInt8] = []
    private var starts: [Int] = []
    private var ids: [Int32] = []
    private var slots: [Int32] = []   // index into starts/ids, -1 when empty
    private var mask = 0
    /// Length of the longest key.
    private(set) var maxKeyLength = 0

    /// Builds the table; for a key given twice the later id wins (as an assignment into a dictionary would).
    init<S: Sequence>(_ entries: S) where S.Element == ([UInt8], Int32) {
        var list: [([UInt8], Int32)] = []
        for e in entries { list.append(e) }
        var capacity = 16
        while capacity < list.count * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        for (key, id) in list { insert(key, id) }
    }

    private mutating func insert(_ key: [UInt8], _ id: Int32) {
        var h = key.withUnsafeBufferPointer { Self.hash($0) } & mask
        while true {
            let s = Int(slots[h])
            if s < 0 { break }
            if keyEquals(s, key) { ids[s] = id; return }
            h = (h + 1) & mask
        }
        slots[h] = Int32(ids.count)
        starts.append(bytes.count)
        bytes += key
        ids.append(id)
        maxKeyLength = max(maxKeyLength, key.count)
    }

    private func keyEquals(_ s: Int, _ key: [UInt8]) -> Bool {
        let a = starts[s], b = s + 1 < starts.count ? starts[s + 1] : bytes.count
        return b - a == key.count && bytes[a..<b].elementsEqual(key)
    }

    @inline(__always) static func hash(_ p: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf29ce484222325
        for b in p { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The id of the key `p`, if present.
    func lookup(_ p: UnsafeBufferPointer<UInt8>) -> Int32? {
        if p.count > maxKeyLength { return nil }
        var h = Self.hash(p) & mask
        return bytes.withUnsafeBufferPointer { all -> Int32? in
            while true {
                let s = Int(slots[h])
                if s < 0 { return nil }
                let a = starts[s], b = s + 1 < starts.count ? starts[s + 1] : all.count
                if b - a == p.count && bytesEqual(all, a, p) { return ids[s] }
                h = (h + 1) & mask
            }
        }
    }

    /// The id of `key`, if present.
    func lookup(_ key: [UInt8]) -> Int32? { key.withUnsafeBufferPointer { lookup($0) } }
}

@inline(__always) private func bytesEqual(_ all: UnsafeBufferPointer<UInt8>, _ start: Int, _ p: UnsafeBufferPointer<UInt8>) -> Bool {
    for i in 0..<p.count where all[start + i] != p[i] { return false }
    return true
}
