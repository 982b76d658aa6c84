/// Calibration data for language-model passes: windows of `ctx` token ids drawn from a
/// tokenized text, as GPTQ, AWQ and llama-imatrix draw them.
public final class TokenWindows {
    /// Tokens per window.
    public let ctx: Int
    /// The windows, each exactly `ctx` ids.
    public let windows: [[Int]]
    /// Where the text came from (a path, or "text" for a string), for reports and provenance.
    public let source: String

    /// Windows given directly (all of length `ctx`).
    public init(windows: [[Int]], source: String) throws {
        guard let first = windows.first, !first.isEmpty else { throw DataError.invalidArgument("calibration: no token windows") }
        guard windows.allSatisfy({ $0.count == first.count }) else {
            throw DataError.invalidArgument("calibration: windows differ in length (first has \(first.count) tokens)")
        }
        self.ctx = first.count
        self.windows = windows
        self.source = source
    }

    /// `count` windows of `ctx` tokens from `tokens` at seeded random window-aligned offsets,
    /// without overlap; fewer tokens than that is an error saying how many windows fit.
    public convenience init(tokens: [Int], ctx: Int, count: Int, seed: UInt64, source: String) throws {
        guard ctx > 0, count > 0 else { throw DataError.invalidArgument("calibration: ctx and count must be positive (got ctx=\(ctx), count=\(count))") }
        let available = tokens.count / ctx
        guard available >= 1 else {
            throw DataError.invalidArgument("calibration: the text has \(tokens.count) tokens, fewer than one window of \(ctx)")
        }
        guard available >= count else {
            throw DataError.invalidArgument("calibration: the text holds \(available) windows of \(ctx) tokens, \(count) were asked for")
        }
        var order = Array(0..<available)
        var s = seed &+ 0x9E3779B97F4A7C15
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            order.swapAt(i, Int(s % UInt64(i + 1)))
        }
        try self.init(windows: order.prefix(count).sorted().map { Array(tokens[($0 * ctx)..<($0 * ctx + ctx)]) }, source: source)
    }

    /// Window count.
    public var count: Int { windows.count }
    /// Tokens over all windows.
    public var tokenCount: Int { windows.count * ctx }
}
