/// An element whose place in a `BinaryHeap` its type decides.
protocol HeapOrdered {
    /// True when `a` must come out of the heap before `b`.
    static func precedes(_ a: Self, _ b: Self) -> Bool
}

/// A binary heap that pops the element preceding all others: the merge queues of the
/// byte-level and SentencePiece BPE tokenizers.
struct BinaryHeap<Item: HeapOrdered> {
    private var items: [Item] = []

    mutating func push(_ item: Item) {
        items.append(item)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !Item.precedes(items[i], items[parent]) { break }
            items.swapAt(i, parent); i = parent
        }
    }

    mutating func pop() -> Item? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && Item.precedes(items[l], items[m]) { m = l }
                if r < items.count && Item.precedes(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
        return first
    }
}
