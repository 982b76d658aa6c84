import CLua
import CLuaShim
import Foundation
import WhittleData
import WhittleNN
import WhittleTensor

/// `whittle.nn.*` layer constructors, `whittle.load/train/evaluate`, and the Layer and Model classes.
enum NNBindings {
    static let namespaces: [Namespace] = [
        Namespace("nn", doc: "layers and models (Torch7-style)", layers),
        Namespace("", doc: "models: load, train, evaluate", functions),
    ]
    static let classes: [LuaClass] = [layerClass, modelClass]

    // MARK: layer constructors

    static let layers: [Binding] = [
        Binding("sequential", "whittle.nn.sequential{layer, ...} -> Model", "A model running the layers (or models) in order; parameters are named \"<index>.weight\".") { c in
            try c.requireTable(1, "layers")
            var modules: [Module] = []
            for k in stride(from: 1, through: Int(lua_rawlen(c.L, 1)), by: 1) {
                lua_rawgeti(c.L, 1, lua_Integer(k))
                defer { Lua.pop(c.L) }
                if let l = c.object(-1, Module.self, className: "Layer") {
                    modules.append(l)
                } else if let m = c.object(-1, Model.self, className: "Model") {
                    modules.append(m.root)
                } else {
                    throw c.error("'layers'[\(k)] must be a Layer or a Model, got \(Lua.typeName(c.L, -1))")
                }
            }
            c.push(object: Model(modules), className: "Model")
            return 1
        },
        Binding("linear", "whittle.nn.linear(in, out, {bias=true, name=, seed=}) -> Layer", "y = x W^T + b over the last dimension; weight (out, in) as in torch.") { c in
            let i = try c.integer(1, "in"), o = try c.integer(2, "out")
            let opts = try c.options(3)
            let bias = try opts.bool("bias", default: true)
            let l = try constructing("linear") { try withLayerGenerator(c, opts) { try Linear(i, o, bias: bias, generator: &$0) } }
            return try pushLayer(c, l, opts)
        },
        Binding("conv2d", "whittle.nn.conv2d(cin, cout, k, {stride=1, padding=0, bias=true, name=, seed=}) -> Layer", "2-D convolution over (n, c, h, w) batches with a k x k kernel.") { c in
            let i = try c.integer(1, "cin"), o = try c.integer(2, "cout"), k = try c.integer(3, "k")
            let opts = try c.options(4)
            let stride = try opts.integer("stride", default: 1, in: 1...(1 << 24))
            let padding = try opts.integer("padding", default: 0, in: 0...(1 << 24))
            let bias = try opts.bool("bias", default: true)
            let l = try constructing("conv2d") {
                try withLayerGenerator(c, opts) { try Conv2d(i, o, kernel: k, stride: stride, padding: padding, bias: bias, generator: &$0) }
            }
            return try pushLayer(c, l, opts)
        },
        Binding("maxpool2d", "whittle.nn.maxpool2d(k, {stride=k}) -> Layer", "Max pooling over k x k windows.") { c in
            let k = try c.integer(1, "k")
            let opts = try c.options(2)
            let stride = try opts.integer("stride", default: k)
            return try pushLayer(c, try constructing("maxpool2d") { try MaxPool2d(k, stride: stride) }, opts)
        },
        simple("relu", "max(x, 0)") { ReLU() },
        simple("tanh", "Hyperbolic tangent.") { Tanh() },
        simple("flatten", "(n, ...) -> (n, features); image MLPs start with it.") { Flatten() },
        simple("softmax", "Softmax over the last dimension.") { Softmax() },
        Binding("dropout", "whittle.nn.dropout(p) -> Layer", "Zeroes inputs with probability p in training (scaled by 1/(1-p)); identity in evaluation.") { c in
            let p = try c.number(1, "p", default: 0.5)
            c.push(object: try constructing("dropout") { try Dropout(Float(p)) }, className: "Layer")
            return 1
        },
    ]

    private static func simple(_ name: String, _ doc: String, _ make: @escaping @Sendable () -> Module) -> Binding {
        Binding(name, "whittle.nn.\(name)() -> Layer", doc) { c in
            c.push(object: make(), className: "Layer")
            return 1
        }
    }

    /// Runs a layer constructor, dropping the "linear: " its errors start with (Lua adds "nn.linear: ").
    private static func constructing<T>(_ type: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as NNError {
            let m = e.description
            throw LuaBindingError(m.hasPrefix(type + ": ") ? String(m.dropFirst(type.count + 2)) : m)
        }
    }

    /// Runs `make` with a generator from option `seed`, else the state's shared one (`whittle.seed`).
    private static func withLayerGenerator(_ c: LuaCall, _ opts: LuaOptions, _ make: (inout SeededGenerator) throws -> Module) throws -> Module {
        if opts.has("seed") {
            var g = SeededGenerator(seed: UInt64(bitPattern: Int64(try opts.integer("seed"))))
            return try make(&g)
        }
        guard let host = c.host else { throw c.error("no host") }
        return try make(&host.generator)
    }

    private static func pushLayer(_ c: LuaCall, _ layer: Module, _ opts: LuaOptions) throws -> Int32 {
        if opts.has("name") {
            let name = try opts.string("name")
            guard !name.isEmpty, !name.contains("."), Int(name) == nil else {
                throw c.error("'name' must be a non-empty string without dots that is not a number, got \"\(name)\"")
            }
            layer.name = name
        }
        try opts.finish()
        c.push(object: layer, className: "Layer")
        return 1
    }

    // MARK: load, train, evaluate

    static let functions: [Binding] = [
        Binding("load", "whittle.load(path) -> Model", "A model saved by m:save (architecture from the file's metadata).") { c in
            c.push(object: try Model.load(try c.string(1, "path")), className: "Model")
            return 1
        },
        Binding("train", "whittle.train(m, data, {epochs=1, lr=0.01, optimizer=\"sgd\"|\"adam\", momentum=0, nesterov=false, weight_decay=0, batch=64, seed=1, schedule=\"constant\"|\"step\"|\"cosine\", step_every=, gamma=0.1, min_lr=0, shuffle=true, verbose=true}) -> table",
                "Trains with cross-entropy; prints progress to stderr; returns {loss=, losses=, seconds=, images_per_second=}.") { c in
            let m = try model(c, 1)
            let data = try dataset(c, 2)
            let o = try c.options(3)
            var t = TrainOptions()
            t.epochs = try o.integer("epochs", default: 1, in: 1...100_000)
            t.learningRate = Float(try o.number("lr", default: 0.01, in: 1e-12...1e6))
            t.optimizer = try o.string("optimizer", default: "sgd", choices: ["sgd", "adam"]) == "adam" ? .adam : .sgd
            t.momentum = Float(try o.number("momentum", default: 0, in: 0...0.999999))
            t.nesterov = try o.bool("nesterov", default: false)
            t.weightDecay = Float(try o.number("weight_decay", default: 0, in: 0...1e3))
            t.batchSize = try o.integer("batch", default: 64, in: 1...(1 << 20))
            t.seed = UInt64(bitPattern: Int64(try o.integer("seed", default: 1)))
            t.shuffle = try o.bool("shuffle", default: true)
            t.verbose = try o.bool("verbose", default: true)
            let every = try o.integer("step_every", default: max(1, t.epochs / 3), in: 1...100_000)
            let gamma = Float(try o.number("gamma", default: 0.1, in: 0...1))
            let minLR = Float(try o.number("min_lr", default: 0, in: 0...1e6))
            switch try o.string("schedule", default: "constant", choices: ["constant", "step", "cosine"]) {
            case "step": t.schedule = .step(every: every, gamma: gamma)
            case "cosine": t.schedule = .cosine(minimum: minLR)
            default: t.schedule = .constant
            }
            try o.finish()
            if t.nesterov && t.momentum == 0 { throw c.error("'nesterov' needs a momentum > 0") }
            let r = try WhittleNN.train(m, data, t)
            c.push(record: [
                ("loss", .number(Double(r.epochLoss.last ?? 0))),
                ("losses", .array(r.epochLoss.map { .number(Double($0)) })),
                ("seconds", .array(r.epochSeconds.map { .number($0) })),
                ("images_per_second", .number(r.throughput.reduce(0, +) / Double(max(r.throughput.count, 1)))),
            ])
            return 1
        },
        Binding("evaluate", "whittle.evaluate(m, data, {batch=500}) -> {accuracy=, loss=, errors=, count=}", "Classification accuracy, mean cross-entropy and error count.") { c in
            let m = try model(c, 1)
            let data = try dataset(c, 2)
            let o = try c.options(3)
            let batch = try o.integer("batch", default: 500, in: 1...(1 << 20))
            try o.finish()
            let e = try WhittleNN.evaluate(m, data, batchSize: batch)
            c.push(record: [("accuracy", .number(e.accuracy)), ("loss", .number(e.loss)),
                            ("errors", .integer(e.errors)), ("count", .integer(e.count))])
            return 1
        },
    ]

    private static func model(_ c: LuaCall, _ i: Int32) throws -> Model {
        try c.object(i, "model", Model.self, className: "Model")
    }

    private static func dataset(_ c: LuaCall, _ i: Int32) throws -> Dataset {
        try c.object(i, "data", Dataset.self, className: "Dataset")
    }

    // MARK: classes

    static let layerClass = LuaClass("Layer", doc: "One layer; combine layers with whittle.nn.sequential.", methods: [
        Binding("forward", "l:forward(x) -> Tensor", "Runs the layer on a batch.") { c in
            c.push(try c.object(1, "self", Module.self, className: "Layer").forward(try c.tensor(2, "x")))
            return 1
        },
        Binding("parameters", "l:parameters() -> table", "name -> Tensor (shared with the layer: edits are visible).") { c in
            pushParameters(c, try c.object(1, "self", Module.self, className: "Layer").parameters())
            return 1
        },
    ], properties: [
        Binding("type", "l.type -> string", "The layer type (\"linear\").") { c in
            c.push(try c.object(1, "self", Module.self, className: "Layer").typeName); return 1
        },
    ], metamethods: [
        Binding("__tostring", "tostring(l)", "The layer and its sizes.") { c in
            c.push(String(describing: try c.object(1, "self", Module.self, className: "Layer"))); return 1
        },
    ])

    static let modelClass = LuaClass("Model", doc: "A network: layers plus metadata; trains, evaluates, saves.", methods: [
        Binding("forward", "m:forward(x) -> Tensor", "Runs a batch through the model.") { c in
            c.push(try model(c, 1).forward(try c.tensor(2, "x")))
            return 1
        },
        Binding("backward", "m:backward(grad) -> Tensor", "Backpropagates grad (wrt the last forward's output), accumulating parameter gradients.") { c in
            c.push(try model(c, 1).backward(try c.tensor(2, "grad")))
            return 1
        },
        Binding("parameters", "m:parameters() -> table", "name -> Tensor (shared with the model: edits are visible).") { c in
            pushParameters(c, try model(c, 1).parameters())
            return 1
        },
        Binding("param", "m:param(name) -> Tensor", "The parameter called name (\"0.weight\").") { c in
            let m = try model(c, 1), name = try c.string(2, "name")
            guard let p = m.parameter(named: name) else {
                throw c.error("no parameter '\(name)' (the model has \(m.parameters().map(\.name).joined(separator: ", ")))")
            }
            c.push(p.value)
            return 1
        },
        Binding("clone", "m:clone() -> Model", "A deep copy.") { c in
            c.push(object: try model(c, 1).clone(), className: "Model")
            return 1
        },
        Binding("save", "m:save(path, {metadata={key=\"text\", ...}})", "Writes a safetensors file with the architecture (and any extra metadata strings) in its header, atomically.") { c in
            let m = try model(c, 1), path = try c.string(2, "path")
            let o = try c.options(3)
            var extra: [String: String] = [:]
            if o.has("metadata") {
                extra = try o.value("metadata") { call in try stringTable(call, -1, "metadata") }
            }
            try o.finish()
            if let reserved = extra.keys.first(where: { $0 == Model.architectureKey || $0 == Model.versionKey }) {
                throw c.error("metadata key '\(reserved)' is written by whittle itself")
            }
            let target = try c.host?.checkWritable(path) ?? path
            let saved = m.metadata, savedProvenance = m.provenance
            m.metadata.merge(extra) { _, new in new }
            m.provenance.recipe = c.host?.recipeText ?? m.provenance.recipe
            defer { m.metadata = saved; m.provenance = savedProvenance }
            try m.save(to: target, version: whittleVersion)
            return 0
        },
        Binding("training", "m:training() -> Model", "Training mode (dropout active); whittle.train switches it on and off by itself.") { c in
            let m = try model(c, 1)
            m.setTraining(true)
            lua_pushvalue(c.L, 1)
            return 1
        },
        Binding("evaluate", "m:evaluate() -> Model", "Evaluation mode (dropout off), the default.") { c in
            let m = try model(c, 1)
            m.setTraining(false)
            lua_pushvalue(c.L, 1)
            return 1
        },
        Binding("summary", "m:summary() -> table", "Prints params, bytes, sparsity and dtype per layer; returns the figures.") { c in
            let s = try model(c, 1).summary()
            print(s.description)
            c.push(record: [
                ("params", .integer(s.parameters)), ("bytes", .integer(s.bytes)), ("nonzeros", .integer(s.nonzeros)),
                ("sparsity", .number(s.sparsity)), ("bits_per_weight", .number(s.bitsPerWeight)),
                ("layers", .array(s.layers.map { l in
                    .table([(.string("name"), .string(l.path)), (.string("type"), .string(l.layer)),
                            (.string("params"), .integer(l.parameters)), (.string("bytes"), .integer(l.bytes)),
                            (.string("sparsity"), .number(l.sparsity)), (.string("dtype"), .string(l.dtype)),
                            (.string("bits_per_weight"), .number(l.bitsPerWeight))])
                })),
            ])
            return 1
        },
        Binding("layers", "m:layers() -> table", "The leaf layers in order, as Layer objects (shared with the model).") { c in
            let ls = try model(c, 1).layers()
            lua_createtable(c.L, Int32(ls.count), 0)
            for (k, l) in ls.enumerated() {
                c.push(object: l.module, className: "Layer")
                lua_rawseti(c.L, -2, lua_Integer(k + 1))
            }
            return 1
        },
    ], properties: [
        Binding("metadata", "m.metadata -> table", "The extra metadata strings loaded with the model (or given to save).") { c in
            let m = try model(c, 1)
            c.push(record: m.metadata.sorted { $0.key < $1.key }.map { ($0.key, LuaValue.string($0.value)) })
            return 1
        },
    ], metamethods: [
        Binding("__tostring", "tostring(m)", "The layers, one per line, with the parameter count.") { c in
            let m = try model(c, 1)
            let n = m.parameters().reduce(0) { $0 + $1.parameter.count }
            c.push("Model (\(n) parameters)\n" + m.layers().map { "  (\($0.path)): \($0.module)" }.joined(separator: "\n"))
            return 1
        },
        Binding("__len", "#m", "Number of top-level layers.") { c in
            c.push(try model(c, 1).root.modules.count); return 1
        },
    ])

    /// A table of string keys to string values at stack index `i`.
    private static func stringTable(_ c: LuaCall, _ i: Int32, _ param: String) throws -> [String: String] {
        try c.requireTable(i, param)
        let t = Lua.absolute(c.L, i)
        var out: [String: String] = [:]
        lua_pushnil(c.L)
        while lua_next(c.L, t) != 0 {
            defer { Lua.pop(c.L) }
            guard lua_type(c.L, -2) == LUA_TSTRING, let k = Lua.string(c.L, -2) else {
                throw c.error("'\(param)' keys must be strings")
            }
            guard lua_type(c.L, -1) == LUA_TSTRING, let v = Lua.string(c.L, -1) else {
                throw c.error("'\(param).\(k)' must be a string, got \(Lua.typeName(c.L, -1))")
            }
            out[k] = v
        }
        return out
    }

    /// Pushes {name = Tensor} for `params`.
    private static func pushParameters(_ c: LuaCall, _ params: [(name: String, parameter: Parameter)]) {
        lua_createtable(c.L, 0, Int32(params.count))
        for (name, p) in params {
            c.push(p.value)
            Lua.setField(c.L, -2, name)
        }
    }
}
