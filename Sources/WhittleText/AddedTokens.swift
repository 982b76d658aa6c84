/// Tokens matched verbatim in the text before the model runs (control tokens such as
/// "<|im_start|>", and user-defined tokens), leftmost-longest as Hugging Face's added vocabulary does.
struct AddedTokens: Sendable {
    /// A piece of the input: plain text (a byte range) or a matched token.
    enum Fragment: Equatable { case text(Range<Int>), token(Int32) }

    private struct Node: Sendable { var next: [UInt8: Int32] = [:]; var id: Int32 = -1; var special = false }
    private var nodes = [Node()]
    private var rootNext = [Int32](repeating: -1, count: 256)
    /// Whether any token was added.
    private(set) var isEmpty = true

    /// Adds `text` as token `id`; `special` tokens are matched only when special parsing is on.
    mutating func add(_ text: [UInt8], id: Int32, special: Bool) {
        guard let first = text.first else { return }
        isEmpty = false
        var n: Int
        if rootNext[Int(first)] >= 0 { n = Int(rootNext[Int(first)]) } else {
            nodes.append(Node()); n = nodes.count - 1; rootNext[Int(first)] = Int32(n)
        }
        for b in text.dropFirst() {
            if let m = nodes[n].next[b] { n = Int(m) } else {
                nodes.append(Node()); nodes[n].next[b] = Int32(nodes.count - 1); n = nodes.count - 1
            }
        }
        nodes[n].id = id
        nodes[n].special = special
    }

    /// Splits `bytes` into text and token fragments.
    func split(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        if isEmpty { return bytes.isEmpty ? [] : [.text(0..<bytes.count)] }
        var out: [Fragment] = []
        var textStart = 0, i = 0
        while i < bytes.count {
            var n = Int(rootNext[Int(bytes[i])])
            var best = -1, bestID: Int32 = -1
            var j = i + 1
            while n >= 0 {
                if nodes[n].id >= 0 && (parseSpecial || !nodes[n].special) { best = j; bestID = nodes[n].id }
                guard j < bytes.count, let m = nodes[n].next[bytes[j]] else { break }
                n = Int(m); j += 1
            }
            if best > 0 {
                if textStart < i { out.append(.text(textStart..<i)) }
                out.append(.token(bestID))
                i = best; textStart = best
            } else {
                i += 1
            }
        }
        if textStart < bytes.count { out.append(.text(textStart..<bytes.count)) }
        return out
    }
}
