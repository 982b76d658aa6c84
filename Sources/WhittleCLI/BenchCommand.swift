import ArgumentParser
import Foundation
import WhittleKernels

/// `whittle bench`: the kernels on fixed shapes, in GFLOPS (or GOPS) and GB/s of weight traffic.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time Whittle's kernels (f32/int8/ggml block GEMM and GEMV, conv, sparse, quantize) on fixed shapes.",
        discussion: """
        Each case runs until it has taken about half a second and reports its best time.
        Threads default to 1 so figures compare with single-threaded peers; Scripts/bench/peers runs
        numpy, onnxruntime, gguf and llama.cpp on the same shapes and prints the ratios.
        The first line names the ISA level the kernels run at; WHITTLE_ISA=scalar|avx2|avx512 forces a lower one.
        Examples:
          whittle bench
          whittle bench --filter gemv --json
          whittle bench --threads 2 --filter gemm_f32_2048
        """
    )

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Kernel threads (default 1).")
    var threads: Int = 1

    @Option(help: "Run only the cases whose name contains this text.")
    var filter: String?

    func validate() throws {
        guard threads >= 1 && threads <= 1024 else { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
    }

    func run() throws {
        KernelThreads.count = threads
        let cases = BenchSuite.cases.filter { filter == nil || $0.name.contains(filter!) }
        guard !cases.isEmpty else { throw ValidationError("--filter \(filter ?? ""): no benchmark name contains it; names: \(BenchSuite.cases.map(\.name).joined(separator: ", "))") }
        if !json {
            print(KernelISA.summary)
            print(pad("kernel", 28) + pad("shape", 30) + pad("ms", 10, right: true) + pad("GFLOPS", 10, right: true) + pad("GB/s", 10, right: true))
        }
        var results: [BenchResult] = []
        for c in cases {
            let r = try c.run()
            results.append(r)
            if !json {
                print(pad(r.name, 28) + pad(r.shape, 30) + pad(String(format: "%.3f", r.seconds * 1e3), 10, right: true)
                      + pad(r.gflops == 0 ? "-" : String(format: "%.1f", r.gflops), 10, right: true) + pad(String(format: "%.2f", r.gbps), 10, right: true))
            }
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            let report = BenchReport(threads: threads, vnni: WhittleKernels.hasVNNI, isa: KernelISA.active.description,
                                     cpu: KernelISA.features.description, results: results)
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        }
    }
}

/// Pads a table cell with spaces to `width` characters.
func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}

/// One measured case: GFLOPS counts 2 ops per multiply-add (int8 included), GB/s counts the bytes of weights
/// (or of f32 input for quantizers) that one run reads.
struct BenchResult: Codable {
    var name: String
    var shape: String
    var seconds: Double
    var gflops: Double
    var gbps: Double
}

/// The `--json` document.
struct BenchReport: Codable {
    var threads: Int
    var vnni: Bool
    /// The kernel ISA level in use and the CPU features detected.
    var isa: String
    var cpu: String
    var results: [BenchResult]
}

/// A benchmark: `prepare` allocates inputs once and returns the timed body.
struct BenchCase {
    var name: String
    var shape: String
    var flops: Double
    var bytes: Double
    var prepare: () throws -> () throws -> Void

    func run() throws -> BenchResult {
        let body = try prepare()
        try body()                                   // warm caches, pages and threads
        var best = Double.infinity, total = 0.0, reps = 0
        while reps < 3 || (total < 0.5 && reps < 200) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            best = min(best, dt); total += dt; reps += 1
        }
        return BenchResult(name: name, shape: shape, seconds: best, gflops: flops / best / 1e9, gbps: bytes / best / 1e9)
    }
}

/// Deterministic inputs: a buffer of floats that lives as long as the closure holding it.
final class FloatBuffer {
    let p: UnsafeMutablePointer<Float>
    let count: Int
    init(_ count: Int, seed: UInt32) {
        self.count = count
        p = .allocate(capacity: max(count, 1))
        var s = seed | 1
        for i in 0..<count {
            s ^= s << 13; s ^= s >> 17; s ^= s << 5
            p[i] = Float(s >> 8) / Float(1 << 24) * 2 - 1
        }
    }
    deinit { p.deallocate() }
}

enum BenchSuite {
    static var cases: [BenchCase] {
        var all: [BenchCase] = []
        for n in [256, 1024, 2048] { all.append(gemmF32(n)) }
        all.append(gemmInt8(1024))
        for (rows, cols) in [(4096, 4096), (4096, 11008)] {
            all.append(gemvF32(rows, cols))
            all.append(gemvInt8(rows, cols))
            all.append(gemvQuant(.q8_0, rows, cols, dequantizing: false))
            all.append(gemvQuant(.q4_0, rows, cols, dequantizing: false))
        }
        all.append(gemvQuant(.q4_0, 4096, 4096, dequantizing: true))
        // Every ggml weight type through GGMLMatmul: one activation row, then a 32-row prompt batch.
        for t in BenchBlocks.types {
            for (rows, cols) in [(4096, 4096), (4096, 11008)] { all.append(ggml(t, m: 1, rows, cols)) }
            all.append(ggml(t, m: 32, 4096, 4096))
        }
        all.append(conv("conv_lenet5_c1", batch: 64, ConvGeometry(channels: 1, height: 28, width: 28, kernelH: 5, kernelW: 5, padding: 2), cout: 6))
        all.append(conv("conv_lenet5_c3", batch: 64, ConvGeometry(channels: 6, height: 14, width: 14, kernelH: 5, kernelW: 5), cout: 16))
        all.append(conv("conv_3x3x64x64", batch: 1, ConvGeometry(channels: 64, height: 56, width: 56, kernelH: 3, kernelW: 3, padding: 1), cout: 64))
        all.append(spmvCSR(4096, 4096, sparsity: 0.9))
        all.append(spmv24(4096, 4096))
        all.append(quantize(.q8_0))
        all.append(quantize(.q4_0))
        all += ggmlQuantizeCases()
        return all
    }

    static func gemmF32(_ n: Int) -> BenchCase {
        BenchCase(name: "gemm_f32_\(n)", shape: "\(n)x\(n)x\(n)", flops: 2 * pow(Double(n), 3), bytes: Double(n * n * 4)) {
            let a = FloatBuffer(n * n, seed: 1), b = FloatBuffer(n * n, seed: 2), c = FloatBuffer(n * n, seed: 3)
            return { GEMM.sgemm(m: n, n: n, k: n, a: a.p, lda: n, b: b.p, ldb: n, c: c.p, ldc: n) }
        }
    }

    static func int8Weights(_ rows: Int, _ cols: Int) -> PackedInt8Weights {
        let w = FloatBuffer(rows * cols, seed: 5)
        let layout = PerChannelInt8Layout(rows: rows, cols: cols, hasZeroPoint: false)
        var q = [Int8](repeating: 0, count: rows * cols), s = [Float](repeating: 0, count: rows)
        Quantize.int8Rows(w.p, layout: layout, values: &q, scales: &s, zeros: nil)
        return PackedInt8Weights(values: q, n: rows, k: cols, scales: s, zeros: nil)
    }

    /// The int8 Linear end to end (f32 in, per-row activation quantization, VNNI, f32 out).
    static func gemmInt8(_ n: Int) -> BenchCase {
        BenchCase(name: "gemm_int8_\(n)", shape: "\(n)x\(n)x\(n)", flops: 2 * pow(Double(n), 3), bytes: Double(n * n)) {
            let w = int8Weights(n, n), x = FloatBuffer(n * n, seed: 6), y = FloatBuffer(n * n, seed: 7)
            return { Int8GEMM.linear(m: n, x: x.p, weights: w, y: y.p) }
        }
    }

    static func gemvF32(_ rows: Int, _ cols: Int) -> BenchCase {
        BenchCase(name: "gemv_f32_\(rows)x\(cols)", shape: "\(rows)x\(cols)", flops: Double(2 * rows * cols), bytes: Double(rows * cols * 4)) {
            let a = FloatBuffer(rows * cols, seed: 8), x = FloatBuffer(cols, seed: 9), y = FloatBuffer(rows, seed: 10)
            return { GEMM.sgemm(m: rows, n: 1, k: cols, a: a.p, lda: cols, b: x.p, ldb: 1, c: y.p, ldc: 1) }
        }
    }

    static func gemvInt8(_ rows: Int, _ cols: Int) -> BenchCase {
        BenchCase(name: "gemv_int8_\(rows)x\(cols)", shape: "\(rows)x\(cols)", flops: Double(2 * rows * cols), bytes: Double(rows * cols + rows * 4)) {
            let w = int8Weights(rows, cols), x = FloatBuffer(cols, seed: 11), y = FloatBuffer(rows, seed: 12)
            return { Int8GEMM.linear(m: 1, x: x.p, weights: w, y: y.p) }
        }
    }

    static func gemvQuant(_ f: QuantFormat, _ rows: Int, _ cols: Int, dequantizing: Bool) -> BenchCase {
        let bytes = rows * cols / 32 * f.blockBytes
        let name = "gemv_\(f)\(dequantizing ? "_dequant" : "")_\(rows)x\(cols)"
        return BenchCase(name: name, shape: "\(rows)x\(cols)", flops: Double(2 * rows * cols), bytes: Double(bytes)) {
            let w = FloatBuffer(rows * cols, seed: 13), x = FloatBuffer(cols, seed: 14), y = FloatBuffer(rows, seed: 15)
            var q = [UInt8](repeating: 0, count: bytes)
            if f == .q8_0 { try Quantize.q8_0(w.p, count: rows * cols, into: &q) } else { try Quantize.q4_0(w.p, count: rows * cols, into: &q) }
            return {
                try q.withUnsafeBytes { qb in
                    if dequantizing {
                        try QuantMatmul.matmulDequantizing(format: f, m: 1, n: rows, k: cols, x: x.p, weights: qb.baseAddress!, y: y.p)
                    } else {
                        try QuantMatmul.matmul(format: f, m: 1, n: rows, k: cols, x: x.p, weights: qb.baseAddress!, y: y.p)
                    }
                }
            }
        }
    }

    /// y (m x rows) = x (m x cols) · Wᵀ with W in a ggml type (random blocks with valid scales).
    static func ggml(_ t: GGMLType, m: Int, _ rows: Int, _ cols: Int) -> BenchCase {
        let bytes = t.rowBytes(cols)! * rows
        let name = m == 1 ? "gemv_\(t)_\(rows)x\(cols)" : "gemm\(m)_\(t)_\(rows)x\(cols)"
        return BenchCase(name: name, shape: "\(m)x\(cols) · \(rows)x\(cols)ᵀ", flops: Double(2 * m * rows * cols), bytes: Double(bytes)) {
            let w = BenchBlocks.random(t, bytes: bytes), x = FloatBuffer(m * cols, seed: 27), y = FloatBuffer(m * rows, seed: 28)
            return {
                try w.withUnsafeBytes { wb in try GGMLMatmul.matmul(t, m: m, n: rows, k: cols, x: x.p, weights: wb.baseAddress!, y: y.p) }
            }
        }
    }

    static func conv(_ name: String, batch: Int, _ g: ConvGeometry, cout: Int) -> BenchCase {
        let flops = 2.0 * Double(batch * cout * g.outH * g.outW * g.patchSize)
        let shape = "\(batch)x\(g.channels)x\(g.height)x\(g.width)->\(cout)"
        return BenchCase(name: name, shape: shape, flops: flops, bytes: Double(cout * g.patchSize * 4)) {
            let x = FloatBuffer(batch * g.channels * g.height * g.width, seed: 16), w = FloatBuffer(cout * g.patchSize, seed: 17)
            let b = FloatBuffer(cout, seed: 18), y = FloatBuffer(batch * cout * g.outH * g.outW, seed: 19)
            return { Conv2D.forward(input: x.p, batch: batch, g, weight: w.p, outChannels: cout, bias: b.p, output: y.p) }
        }
    }

    static func sparseDense(_ rows: Int, _ cols: Int, keepEvery: Int) -> FloatBuffer {
        let a = FloatBuffer(rows * cols, seed: 20)
        var s: UInt32 = 12345
        for i in 0..<rows * cols {
            s = s &* 1_664_525 &+ 1_013_904_223
            if Int(s >> 8) % keepEvery != 0 { a.p[i] = 0 }
        }
        return a
    }

    static func spmvCSR(_ rows: Int, _ cols: Int, sparsity: Double) -> BenchCase {
        let nnz = Double(rows * cols) * (1 - sparsity)
        return BenchCase(name: "spmv_csr_90", shape: "\(rows)x\(cols) 90% zeros", flops: 2 * nnz, bytes: nnz * 8 + Double(rows * 4)) {
            let a = sparseDense(rows, cols, keepEvery: 10)
            let csr = CSRMatrix(dense: a.p, rows: rows, cols: cols)
            let x = FloatBuffer(cols, seed: 21), y = FloatBuffer(rows, seed: 22)
            return { Sparse.spmv(csr, x: x.p, y: y.p) }
        }
    }

    static func spmv24(_ rows: Int, _ cols: Int) -> BenchCase {
        BenchCase(name: "spmv_2to4", shape: "\(rows)x\(cols) 2:4", flops: Double(rows * cols), bytes: Double(rows * cols / 2 * 4 + rows * cols / 4)) {
            let a = FloatBuffer(rows * cols, seed: 23)
            for g in 0..<rows * cols / 4 { a.p[g * 4 + (g % 3)] = 0; a.p[g * 4 + 3] = 0 }
            let s = try Sparse24Matrix(dense: a.p, rows: rows, cols: cols)
            let x = FloatBuffer(cols, seed: 24), y = FloatBuffer(rows, seed: 25)
            return { s.spmv(x: x.p, y: y.p) }
        }
    }

    /// GGMLCodec.quantize for every ggml type on 256 rows of 4096 (with an imatrix for the types that read one):
    /// compare with llama.cpp's `test-quantize-perf --op quantize_row_q_reference`.
    static func ggmlQuantizeCases() -> [BenchCase] {
        let rows = 256, cols = 4096, n = rows * cols
        let types: [GGMLType] = [.f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
                                 .iq4_nl, .iq4_xs, .tq1_0, .tq2_0]
        var out: [BenchCase] = []
        for t in types {
            for withImatrix in GGMLCodec.usesImportance(t) ? [false, true] : [false] {
                let name = "quantize_ggml_\(t)" + (withImatrix ? "_imatrix" : "")
                out.append(BenchCase(name: name, shape: "\(rows)x\(cols) f32", flops: 0, bytes: Double(n * 4)) {
                    let x = FloatBuffer(n, seed: 27), w = FloatBuffer(cols, seed: 28)
                    for i in 0..<cols { w.p[i] = abs(w.p[i]) + 0.01 }
                    var q = [UInt8](repeating: 0, count: rows * (t.rowBytes(cols) ?? 0))
                    return {
                        try q.withUnsafeMutableBytes {
                            try GGMLCodec.quantize(t, x.p, $0.baseAddress!, count: n, rowLength: cols, importance: withImatrix ? UnsafePointer(w.p) : nil)
                        }
                    }
                })
            }
        }
        return out
    }

    static func quantize(_ f: QuantFormat) -> BenchCase {
        let n = 1 << 24
        return BenchCase(name: "quantize_\(f)", shape: "\(n) f32", flops: 0, bytes: Double(n * 4)) {
            let x = FloatBuffer(n, seed: 26)
            var q = [UInt8](repeating: 0, count: n / 32 * f.blockBytes)
            return {
                if f == .q8_0 { try Quantize.q8_0(x.p, count: n, into: &q) } else { try Quantize.q4_0(x.p, count: n, into: &q) }
            }
        }
    }
}

/// Weights for the ggml cases: random bytes with every f16 scale set to a finite value
/// (kernel speed does not depend on the codes).
enum BenchBlocks {
    static let types: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .iq4_nl,
                                    .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs]

    /// Byte offsets of the f16 scale fields in one block.
    static func halfFields(_ t: GGMLType) -> [Int] {
        switch t {
        case .q4_0, .q5_0, .q8_0, .iq4_nl, .iq4_xs: return [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]
        case .q2_K: return [80, 82]
        case .q3_K: return [108]
        case .q6_K: return [208]
        default: return []
        }
    }

    static func random(_ t: GGMLType, bytes: Int) -> [UInt8] {
        var s: UInt32 = 0x9E37_79B9
        if t == .f32 || t == .f16 || t == .bf16 {
            let f = FloatBuffer(bytes / (t == .f32 ? 4 : 2), seed: 29)
            if t == .f32 { return Array(UnsafeRawBufferPointer(start: f.p, count: bytes)) }
            let h = (0..<f.count).map { t == .f16 ? Half.bits(f.p[$0]) : BFloat16.bits(f.p[$0]) }
            return h.withUnsafeBytes { Array($0) }
        }
        var b = [UInt8](repeating: 0, count: bytes)
        for i in 0..<bytes { s ^= s << 13; s ^= s >> 17; s ^= s << 5; b[i] = UInt8(truncatingIfNeeded: s) }
        let scale = Half.bits(0.01)
        for blk in 0..<bytes / t.blockBytes {
            for off in halfFields(t) { b[blk * t.blockBytes + off] = UInt8(scale & 0xFF); b[blk * t.blockBytes + off + 1] = UInt8(scale >> 8) }
        }
        return b
    }
}
