import Foundation

extension SensitivityResult {
    /// An SVG line chart: one line per layer from (0, baseline) through (level, accuracy), with axes,
    /// tick labels, axis titles and a legend.
    public func svg(width: Int = 720, height: Int = 420) -> String {
        let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        let left = 70.0, right = 190.0, top = 40.0, bottom = 60.0
        let w = Double(width), h = Double(height)
        let plotW = max(w - left - right, 10), plotH = max(h - top - bottom, 10)
        let lowest = ([baseline] + rows.flatMap(\.accuracy)).min() ?? 0
        let yMax = 1.0, yMin = min(max(0, (lowest * 10).rounded(.down) / 10), 0.9)
        func x(_ s: Double) -> Double { left + s * plotW }
        func y(_ a: Double) -> Double { top + (yMax - min(max(a, yMin), yMax)) / max(yMax - yMin, 1e-9) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"12\">",
                   "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
                   "<text x=\"\(f(left + plotW / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">Pruning sensitivity per layer</text>"]
        for i in 0...5 {
            let s = Double(i) / 5
            out.append("<line x1=\"\(f(x(s)))\" y1=\"\(f(top))\" x2=\"\(f(x(s)))\" y2=\"\(f(top + plotH))\" stroke=\"#e5e5e5\"/>")
            out.append("<text x=\"\(f(x(s)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(Int(s * 100))%</text>")
            let a = yMin + (yMax - yMin) * Double(i) / 5
            out.append("<line x1=\"\(f(left))\" y1=\"\(f(y(a)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(a)))\" stroke=\"#e5e5e5\"/>")
            out.append("<text x=\"\(f(left - 8))\" y=\"\(f(y(a) + 4))\" text-anchor=\"end\">\(String(format: "%.0f%%", a * 100))</text>")
        }
        out.append("<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(left + plotW))\" y2=\"\(f(top + plotH))\" stroke=\"black\"/>")
        out.append("<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"black\"/>")
        out.append("<text x=\"\(f(left + plotW / 2))\" y=\"\(f(h - 15))\" text-anchor=\"middle\">sparsity</text>")
        out.append("<text x=\"18\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f(top + plotH / 2)))\">accuracy</text>")
        for (k, r) in rows.enumerated() {
            let color = palette[k % palette.count]
            let points = ([(0.0, baseline)] + zip(levels, r.accuracy).sorted { $0.0 < $1.0 }).map { "\(f(x($0.0))),\(f(y($0.1)))" }
            out.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>")
            for (s, a) in zip(levels, r.accuracy) { out.append("<circle cx=\"\(f(x(s)))\" cy=\"\(f(y(a)))\" r=\"3\" fill=\"\(color)\"/>") }
            let ly = top + 10 + Double(k) * 20
            out.append("<line x1=\"\(f(left + plotW + 20))\" y1=\"\(f(ly))\" x2=\"\(f(left + plotW + 44))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"/>")
            out.append("<text x=\"\(f(left + plotW + 50))\" y=\"\(f(ly + 4))\">\(esc(r.target))</text>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }
}
