/// The knapsack behind `quantize.mix`: one option per tensor (bits, predicted cost) so that the
/// total bits stay within a budget and the summed cost is small. Greedy by marginal gain: every
/// tensor starts at its cheapest option, then the upgrade with the largest cost drop per extra bit
/// that still fits is taken, until none fits. On the lower convex hull of each tensor's options this
/// is the optimum of the relaxed problem; the last partial step is what the integer version loses.
public enum MixAllocation {
    /// One tensor's options: (bits for the whole tensor, predicted cost), any order.
    public typealias Options = [(bits: Double, cost: Double)]

    /// The index of the chosen option per tensor; throws when even the cheapest options exceed `budget` bits.
    public static func allocate(_ items: [Options], budget: Double) throws -> [Int] {
        var choice: [Int] = []
        var used = 0.0
        for (i, o) in items.enumerated() {
            guard !o.isEmpty else { throw CalibrationError.invalid("quantize.mix: tensor \(i) has no candidate type") }
            // Cheapest in bits, the lower cost among equals.
            let best = o.indices.min { a, b in o[a].bits != o[b].bits ? o[a].bits < o[b].bits : o[a].cost < o[b].cost }!
            choice.append(best)
            used += o[best].bits
        }
        guard used <= budget * (1 + 1e-12) else {
            throw CalibrationError.invalid(String(format: "quantize.mix: the budget is %.0f bits but the smallest candidate of every tensor already takes %.0f", budget, used))
        }
        while true {
            var pick: (item: Int, option: Int, gain: Double)?
            for (i, o) in items.enumerated() {
                let cur = o[choice[i]]
                for (j, c) in o.enumerated() where c.bits > cur.bits && c.cost < cur.cost && used - cur.bits + c.bits <= budget {
                    let gain = (cur.cost - c.cost) / (c.bits - cur.bits)
                    if pick.map({ gain > $0.gain }) ?? true { pick = (i, j, gain) }
                }
            }
            guard let p = pick else { break }
            used += items[p.item][p.option].bits - items[p.item][choice[p.item]].bits
            choice[p.item] = p.option
        }
        return choice
    }
}
