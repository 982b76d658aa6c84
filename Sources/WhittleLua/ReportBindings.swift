import CLua
import CLuaShim
import WhittleData
import WhittleNN
import WhittlePasses

/// `whittle.report(m, {baseline=, data=, print=})`: the honest size and accuracy table.
enum ReportBindings {
    static let namespaces: [Namespace] = [
        Namespace("", doc: "compression report", [
            Binding("report", "whittle.report(model, {baseline=model, data=dataset, print=true}) -> report",
                    "Per layer and total: parameters, non-zeros, storage format, bits per weight, bytes as stored, ratio vs the baseline's f32 bytes, the Huffman-coded size, and accuracy against the baseline. Prints the table unless print=false.") { c in
                let model = try c.object(1, "model", Model.self, className: "Model")
                let o = try c.options(2)
                let baseline: Model? = try o.value("baseline") { c in
                    if c.isNil(-1) { return nil }
                    guard let m = c.object(-1, Model.self, className: "Model") else { throw c.error("'baseline' must be a model") }
                    return m
                }
                let data: Dataset? = try o.value("data") { c in
                    if c.isNil(-1) { return nil }
                    guard let d = c.object(-1, Dataset.self, className: "Dataset") else { throw c.error("'data' must be a dataset") }
                    return d
                }
                let show = try o.bool("print", default: true)
                try o.finish()
                let r = try CompressionReport.measure(model, baseline: baseline, data: data)
                if show { print(r.description) }
                push(r, c)
                return 1
            },
        ]),
    ]

    /// {rows={{layer=, params=, ...}}, total={...}, accuracy=, baseline_accuracy=, errors=, baseline_errors=, text=}, printing as the table.
    static func push(_ r: CompressionReport, _ c: LuaCall) {
        func row(_ x: CompressionReport.Row) -> LuaValue {
            .table([
                (.string("layer"), .string(x.layer)), (.string("type"), .string(x.kind)), (.string("format"), .string(x.formats)),
                (.string("params"), .integer(x.parameters)), (.string("nonzeros"), .integer(x.nonzeros)),
                (.string("sparsity"), .number(x.sparsity)), (.string("bits_per_weight"), .number(x.bitsPerWeight)),
                (.string("bytes"), .integer(x.bytes)), (.string("baseline_bytes"), .integer(x.baselineBytes)),
                (.string("ratio"), .number(x.ratio)), (.string("huffman_bytes"), .integer(x.huffmanBytes)),
                (.string("huffman_ratio"), .number(x.huffmanRatio)),
            ])
        }
        var fields: [(LuaValue, LuaValue)] = [
            (.string("rows"), .array(r.rows.map(row))), (.string("total"), row(r.total)), (.string("text"), .string(r.description)),
        ]
        if let a = r.accuracy { fields.append((.string("accuracy"), .number(a))) }
        if let a = r.baselineAccuracy { fields.append((.string("baseline_accuracy"), .number(a))) }
        if let e = r.errors { fields.append((.string("errors"), .integer(e))) }
        if let e = r.baselineErrors { fields.append((.string("baseline_errors"), .integer(e))) }
        LuaValue.table(fields).push(c.L)
        luaL_setmetatable(c.L, "whittle.Report")
    }
}
