/// Huffman code construction, used to report the exact size Deep Compression's
/// entropy coding of codebook indices and relative positions would give.
public enum Huffman {
    /// Optimal prefix-code lengths for `frequencies` (0 for symbols that never occur).
    /// A lone symbol gets a 1-bit code: a decoder still needs one bit per occurrence.
    public static func codeLengths(_ frequencies: [Int]) -> [Int] {
        var lengths = [Int](repeating: 0, count: frequencies.count)
        let used = frequencies.indices.filter { frequencies[$0] > 0 }
        if used.count == 1 { lengths[used[0]] = 1 }
        guard used.count > 1 else { return lengths }
        // Nodes 0..<used.count are leaves; internal nodes follow. A binary min-heap of (weight, node).
        var parent = [Int](repeating: -1, count: 2 * used.count - 1)
        var heap = used.enumerated().map { (weight: frequencies[$0.element], node: $0.offset) }
        func less(_ a: (weight: Int, node: Int), _ b: (weight: Int, node: Int)) -> Bool {
            a.weight != b.weight ? a.weight < b.weight : a.node < b.node
        }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && less(heap[l], heap[m]) { m = l }
                if r < heap.count && less(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        func pop() -> (weight: Int, node: Int) {
            let top = heap[0]
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
            if !heap.isEmpty { siftDown(0) }
            return top
        }
        func push(_ x: (weight: Int, node: Int)) {
            heap.append(x)
            var i = heap.count - 1
            while i > 0 && less(heap[i], heap[(i - 1) / 2]) { heap.swapAt(i, (i - 1) / 2); i = (i - 1) / 2 }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        var next = used.count
        while heap.count > 1 {
            let a = pop(), b = pop()
            parent[a.node] = next
            parent[b.node] = next
            push((a.weight + b.weight, next))
            next += 1
        }
        // Depths from the root (the last node); parents always have larger ids, so go top-down.
        var depth = [Int](repeating: 0, count: parent.count)
        for n in stride(from: parent.count - 2, through: 0, by: -1) { depth[n] = depth[parent[n]] + 1 }
        for (leaf, symbol) in used.enumerated() { lengths[symbol] = depth[leaf] }
        return lengths
    }

    /// Canonical codes for `lengths` (code values, MSB-first within each length), nil when lengths are not a prefix code.
    public static func canonicalCodes(_ lengths: [Int]) -> [UInt64]? {
        guard let maxLen = lengths.max(), maxLen <= 63 else { return nil }
        var codes = [UInt64](repeating: 0, count: lengths.count)
        var code: UInt64 = 0
        for len in 1...max(maxLen, 1) {
            for (s, l) in lengths.enumerated() where l == len {
                guard code >> UInt64(len) == 0 else { return nil }
                codes[s] = code
                code += 1
            }
            code <<= 1
        }
        return codes
    }

    /// Occurrences of each symbol in `0..<alphabet` (larger symbols are ignored).
    public static func frequencies(_ symbols: [UInt32], alphabet: Int) -> [Int] {
        var f = [Int](repeating: 0, count: alphabet)
        for s in symbols where Int(s) < alphabet { f[Int(s)] += 1 }
        return f
    }

    /// Bits of the Huffman-coded stream: Σ frequency × code length.
    public static func encodedBits(_ frequencies: [Int]) -> Int {
        zip(frequencies, codeLengths(frequencies)).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
