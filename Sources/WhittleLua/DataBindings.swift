import CLua
import WhittleData
import WhittleTensor

/// `whittle.data` (MNIST, IDX pairs), the Dataset class and its batch iterator.
enum DataBindings {
    static let namespaces: [Namespace] = [
        Namespace("data", doc: "Datasets: the bundled MNIST and any IDX image/label pair.", [
            Binding("mnist", "whittle.data.mnist() -> {train=Dataset, test=Dataset}",
                    "The bundled MNIST digits: 60000 training and 10000 test images, f32 (n,1,28,28) in [0,1].") { c in
                let m = try MNIST.load()
                lua_createtable(c.L, 0, 2)
                c.push(object: m.train, className: "Dataset")
                Lua.setField(c.L, -2, "train")
                c.push(object: m.test, className: "Dataset")
                Lua.setField(c.L, -2, "test")
                return 1
            },
            Binding("idx", "whittle.data.idx(images, labels) -> Dataset",
                    "A dataset from IDX files (raw or .gz); u8 images are scaled to [0,1], 3-D images get a channel.") { c in
                let images = try c.string(1, "images"), labels = try c.string(2, "labels")
                c.push(object: try Dataset.idxPair(images: images, labels: labels), className: "Dataset")
                return 1
            },
        ]),
    ]

    static let classes: [LuaClass] = [datasetClass, batchesClass]

    private static func dataset(_ c: LuaCall, _ i: Int32 = 1) throws -> Dataset {
        try c.object(i, "self", Dataset.self, className: "Dataset")
    }

    static let datasetClass = LuaClass("Dataset", doc: "Samples (d.images) with their labels (d.labels); #d is the sample count.", methods: [
        Binding("take", "d:take(n) -> Dataset", "The first n samples (all when n exceeds #d), sharing storage.") { c in
            let d = try dataset(c)
            c.push(object: try d.take(try c.integer(2, "n")), className: "Dataset")
            return 1
        },
        Binding("batches", "d:batches(size, {shuffle=false, seed=0}) -> iterator",
                "for x, y in d:batches(128, {shuffle=true, seed=1}) do ... end; the last batch may be smaller.") { c in
            let d = try dataset(c)
            let size = try c.integer(2, "size")
            guard size >= 1 else { throw c.error("'size' must be >= 1, got \(size)") }
            let o = try c.options(3)
            let shuffle = try o.bool("shuffle", default: false)
            let seed = try o.integer("seed", default: 0)
            try o.finish()
            guard seed >= 0 else { throw c.error("'seed' must be >= 0, got \(seed)") }
            let seq = try d.batches(size: size, shuffle: shuffle, seed: UInt64(seed))
            c.push(object: BatchIterator(seq), className: "Batches")
            return 1
        },
        Binding("normalize", "d:normalize(mean, std) -> Dataset", "A copy with images (x - mean) / std; without arguments, uses the data's own mean and std.") { c in
            let d = try dataset(c)
            let stats = d.statistics()
            let mean = Float(try c.number(2, "mean", default: Double(stats.mean)))
            let std = Float(try c.number(3, "std", default: Double(stats.std)))
            guard std > 0, std.isFinite, mean.isFinite else { throw c.error("'std' must be a positive number and 'mean' finite, got mean=\(mean) std=\(std)") }
            c.push(object: try d.normalized(mean: mean, std: std), className: "Dataset")
            return 1
        },
        Binding("stats", "d:stats() -> {mean=, std=}", "Mean and standard deviation of all image elements.") { c in
            let s = try dataset(c).statistics()
            c.push(record: [("mean", .number(Double(s.mean))), ("std", .number(Double(s.std)))])
            return 1
        },
    ], properties: [
        Binding("images", "d.images -> Tensor", "The images, f32 with the sample as first dimension.") { c in
            c.push(try dataset(c).images); return 1
        },
        Binding("labels", "d.labels -> Tensor", "The labels, f32 1-D (class ids as stored).") { c in
            c.push(try dataset(c).labels); return 1
        },
    ], metamethods: [
        Binding("__len", "#d", "Number of samples.") { c in
            c.push(try dataset(c).count); return 1
        },
        Binding("__tostring", "tostring(d)", "Sample count and shapes.") { c in
            c.push(try dataset(c).description); return 1
        },
    ])

    static let batchesClass = LuaClass("Batches", doc: "The iterator d:batches() returns: call it (or use it in a for loop) for x, y.", methods: [], metamethods: [
        Binding("__call", "it() -> x, y | nil", "The next batch, or nil when done.") { c in
            let it = try c.object(1, "iterator", BatchIterator.self, className: "Batches")
            guard let (x, y) = try it.next() else { c.pushNil(); return 1 }
            c.push(x)
            c.push(y)
            return 2
        },
        Binding("__len", "#it", "Number of batches in total.") { c in
            c.push(try c.object(1, "iterator", BatchIterator.self, className: "Batches").total); return 1
        },
        Binding("__tostring", "tostring(it)", "Batch size and progress.") { c in
            let it = try c.object(1, "iterator", BatchIterator.self, className: "Batches")
            c.push("Batches(\(it.total) of size \(it.size), \(it.done) done)"); return 1
        },
    ])
}

/// A batch sequence being iterated from Lua.
final class BatchIterator {
    private var iterator: BatchSequence.Iterator
    let total: Int
    let size: Int
    private(set) var done = 0

    init(_ seq: BatchSequence) {
        iterator = seq.makeIterator()
        total = seq.batchCount
        size = seq.size
    }

    func next() throws -> (Tensor, Tensor)? {
        guard let b = try iterator.nextBatch() else { return nil }
        done += 1
        return (b.x, b.y)
    }
}
