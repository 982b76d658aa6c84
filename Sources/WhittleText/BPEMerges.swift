/// Rank-ordered BPE merges over token ids: the pair with the lowest rank merges first, the
/// leftmost among equals (Hugging Face's `Word::merge_all`, llama.cpp's `llm_tokenizer_bpe`).
struct BPEMerges: Sendable {
    /// (left << 32 | right) -> (rank << 32 | merged id)
    private var table: [UInt64: UInt64] = [:]

    /// Number of merges.
    var count: Int { table.count }

    /// Adds the merge of `left` and `right` into `merged` with `rank`; an earlier rank for the same pair wins.
    mutating func add(left: Int32, right: Int32, merged: Int32, rank: Int) {
        let key = Self.key(left, right)
        if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged)) }
    }

    @inline(__always) private static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always) private func lookup(_ a: Int32, _ b: Int32) -> (rank: UInt32, merged: Int32)? {
        guard let v = table[Self.key(a, b)] else { return nil }
        return (UInt32(v >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: v)))
    }

    /// Applies the merges to `symbols` in place (a heap of candidate pairs over a linked list).
    func apply(_ symbols: inout [Int32]) {
        let n = symbols.count
        if n < 2 { return }
        var next = [Int](1...n), prev = [Int](-1..<(n - 1))
        next[n - 1] = -1
        var heap = BinaryHeap<RankedMerge>()
        for i in 0..<(n - 1) {
            if let m = lookup(symbols[i], symbols[i + 1]) { heap.push(RankedMerge(rank: m.rank, pos: i, merged: m.merged)) }
        }
        var alive = [Bool](repeating: true, count: n)
        while let top = heap.pop() {
            let p = top.pos
            guard alive[p], next[p] >= 0 else { continue }
            let q = next[p]
            guard let m = lookup(symbols[p], symbols[q]), m.rank == top.rank, m.merged == top.merged else { continue }
            symbols[p] = m.merged
            alive[q] = false
            next[p] = next[q]
            if next[q] >= 0 { prev[next[q]] = p }
            if prev[p] >= 0, let l = lookup(symbols[prev[p]], symbols[p]) { heap.push(RankedMerge(rank: l.rank, pos: prev[p], merged: l.merged)) }
            if next[p] >= 0, let r = lookup(symbols[p], symbols[next[p]]) { heap.push(RankedMerge(rank: r.rank, pos: p, merged: r.merged)) }
        }
        var out: [Int32] = []
        out.reserveCapacity(n)
        var i = 0
        while i >= 0 { out.append(symbols[i]); i = next[i] }
        symbols = out
    }
}

/// A candidate merge: the pair starting at `pos` becomes `merged`; lower rank first, then leftmost.
private struct RankedMerge: HeapOrdered {
    var rank: UInt32
    var pos: Int
    var merged: Int32

    static func precedes(_ a: RankedMerge, _ b: RankedMerge) -> Bool {
        a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos
    }
}
