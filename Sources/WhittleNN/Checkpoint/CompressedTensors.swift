import Foundation
import WhittleFormats
import WhittleKernels
import WhittleTensor

/// The compressed-tensors layout (vLLM, transformers, llm-compressor) for ggml blocks that map onto it
/// exactly: Q4_0 is symmetric int4 with groups of 32 (`pack-quantized`: `weight_packed` int32 holding
/// 8 values q + 8, element j of each word at bits 4j; `weight_scale` (rows, cols/32) f16; `weight_shape`),
/// Q4_1 whose minimum is an integer zero point (m = −d·z, as the `q4_1_zp` grid writes it) is asymmetric
/// int4 with groups of 32 (the same plus `weight_zero_point`, see AsymmetricInt4), Q8_0 is symmetric
/// int8 with groups of 32 (`int-quantized`: `weight` int8 and `weight_scale`), and a W8A8 projection
/// (SmoothQuant: int8 weight, one f32 scale per output channel, int8 activations per token) is
/// `int-quantized` with the `channel` strategy (`weight_scale` (rows, 1) f32).
/// A value is scale × (q − zero point), so the scales and codes carry over bit for bit, both ways.
public enum CompressedTensors {
    /// The layouts written: int4 (symmetric or with zero points) or int8 with groups of 32 (Q4_0,
    /// Q4_1 with integer zeros, Q8_0), int8 per channel (W8A8).
    public enum Scheme: Hashable {
        case int4, int4Asymmetric, int8, int8Channel
        /// compressed-tensors' format name.
        var format: String { self == .int4 || self == .int4Asymmetric ? "pack-quantized" : "int-quantized" }
    }

    /// Why a block tensor `name` cannot be written in compressed-tensors form (and what to do instead).
    static func refusal(_ w: Tensor, name: String) -> String {
        let type = w.dtype.description.uppercased()
        if w.dtype == .q4_1, w.rank == 2 {
            do { _ = try AsymmetricInt4.zeros(w) } catch let e as AsymmetricInt4.NonInteger {
                return "tensor '\(name)' is Q4_1 whose minimum is not an integer zero point (row \(e.row), group \(e.group): d=\(e.d), m=\(e.m), not -d*z for an integer z in 0...15), which compressed-tensors' asymmetric int4 needs: quantize with format=\"q4_1_zp\" (quantize.gptq, quantize.awq), requantize to q4_0, or pass dequantize=\"f16\""
            } catch {}
        }
        return "tensor '\(name)' is \(type): compressed-tensors export holds Q4_0 (int4), Q4_1 with integer zero points (asymmetric int4, format=\"q4_1_zp\") and Q8_0 (int8) weights; requantize it or pass dequantize=\"f16\""
    }

    /// The scheme and tensors that replace `<module>.weight` (rows, cols) stored as Q4_0, Q4_1 with
    /// integer zeros, or Q8_0; nil for any other tensor (the caller refuses it or stores it in float).
    static func compress(_ w: Tensor, module: String) throws -> (scheme: Scheme, tensors: [(name: String, tensor: Tensor)])? {
        guard w.rank == 2 else { return nil }
        let scheme: Scheme, zeros: [UInt8]?
        switch w.dtype {
        case .q4_0: scheme = .int4; zeros = nil
        case .q4_1:
            guard let z = try? AsymmetricInt4.zeros(w) else { return nil }
            scheme = .int4Asymmetric; zeros = z
        case .q8_0: scheme = .int8; zeros = nil
        default: return nil
        }
        let rows = w.shape[0], cols = w.shape[1], groups = cols / 32
        let blockBytes = w.dtype.size
        let src = UnsafeRawPointer(w.storage.bytes)
        let scale = try Tensor(zeros: [rows, groups], dtype: .f16)
        let scales = scale.storage.bytes.assumingMemoryBound(to: UInt16.self)
        switch scheme {
        case .int4, .int4Asymmetric:
            let packed = try Tensor(zeros: [rows, cols / 8], dtype: .i32)
            let words = packed.storage.bytes.assumingMemoryBound(to: UInt32.self)
            // Q4_0: d then the nibbles; Q4_1: d, m, then the nibbles.
            let nibblesAt = scheme == .int4 ? 2 : 4
            for b in 0..<(rows * groups) {
                let block = src + b * blockBytes
                scales[b] = block.loadUnaligned(as: UInt16.self)
                let qs = block + nibblesAt
                // ggml: element j is the low nibble of qs[j], element j + 16 the high nibble; each is q + 8
                // (Q4_1: the unsigned code q, i.e. the signed q - 8 plus 8), exactly compressed-tensors' code.
                var codes = [UInt32](repeating: 0, count: 32)
                for j in 0..<16 {
                    let byte = qs.load(fromByteOffset: j, as: UInt8.self)
                    codes[j] = UInt32(byte & 0x0F)
                    codes[j + 16] = UInt32(byte >> 4)
                }
                for k in 0..<4 {
                    var word: UInt32 = 0
                    for e in 0..<8 { word |= codes[k * 8 + e] << (4 * UInt32(e)) }
                    words[b * 4 + k] = word.littleEndian
                }
            }
            let shape = try Tensor(zeros: [2], dtype: .i64)
            let dims = shape.storage.bytes.assumingMemoryBound(to: Int64.self)
            dims[0] = Int64(rows); dims[1] = Int64(cols)
            var out: [(name: String, tensor: Tensor)] = [("\(module).weight_packed", packed), ("\(module).weight_scale", scale), ("\(module).weight_shape", shape)]
            if let zeros {
                out.append(("\(module).weight_zero_point", try AsymmetricInt4.packZeros(zeros, rows: rows, groups: groups)))
            }
            return (scheme, out)
        case .int8, .int8Channel:  // no block type maps to .int8Channel: W8A8 goes through compressChannels
            let q = try Tensor(zeros: [rows, cols], dtype: .i8)
            let dst = q.storage.bytes
            for b in 0..<(rows * groups) {
                let block = src + b * blockBytes
                scales[b] = block.loadUnaligned(as: UInt16.self)
                (dst + b * 32).copyMemory(from: block + 2, byteCount: 32)
            }
            return (scheme, [("\(module).weight", q), ("\(module).weight_scale", scale)])
        }
    }

    /// A W8A8 projection's tensors: its int8 `weight` as is and `weight_scale` (rows, 1) f32.
    static func compressChannels(_ w: Tensor, scales: Tensor, module: String) throws -> [(name: String, tensor: Tensor)] {
        guard w.dtype == .i8, w.rank == 2, scales.dtype == .f32, scales.count == w.shape[0] else {
            throw ExportError("tensor '\(module).weight' is \(w.dtype) with \(scales.count) \(scales.dtype) scales: a W8A8 projection needs an i8 weight and one f32 scale per row")
        }
        return [("\(module).weight", w), ("\(module).weight_scale", try scales.reshaped([w.shape[0], 1]))]
    }

    /// The `quantization_config` of config.json for modules quantized by `schemes`, the rest ignored.
    static func quantizationConfig(_ schemes: [String: Scheme], ignore: [String]) -> [String: Any] {
        func weights(_ bits: Int, channel: Bool, symmetric: Bool) -> [String: Any] {
            ["num_bits": bits, "type": "int", "symmetric": symmetric, "strategy": channel ? "channel" : "group",
             "group_size": channel ? NSNull() : 32 as Any, "dynamic": false,
             "actorder": NSNull(), "block_structure": NSNull(), "observer": "minmax", "observer_kwargs": [String: Any]()]
        }
        var groups: [String: Any] = [:]
        let used = Set(schemes.values)
        let mixed = used.count > 1
        for scheme in [Scheme.int4, .int4Asymmetric, .int8, .int8Channel] where used.contains(scheme) {
            let int4 = scheme == .int4 || scheme == .int4Asymmetric
            var g: [String: Any] = ["weights": weights(int4 ? 4 : 8, channel: scheme == .int8Channel, symmetric: scheme != .int4Asymmetric),
                                    "output_activations": NSNull(), "format": scheme.format]
            g["input_activations"] = !int4
                ? ["num_bits": 8, "type": "int", "symmetric": true, "strategy": "token", "dynamic": true, "observer": NSNull()] as [String: Any]
                : NSNull()
            // One scheme covers every Linear not ignored; a mixture names its modules.
            g["targets"] = mixed ? schemes.filter { $0.value == scheme }.map(\.key).sorted() : ["Linear"]
            groups["group_\(groups.count)"] = g
        }
        return [
            "quant_method": "compressed-tensors", "format": Set(used.map(\.format)).count > 1 ? "mixed-precision" : (used.first ?? .int4).format,
            "quantization_status": "compressed", "config_groups": groups, "ignore": ignore.sorted(),
            "kv_cache_scheme": NSNull(), "global_compression_ratio": NSNull(),
        ]
    }
}

/// A Hugging Face directory in compressed-tensors form read back as Whittle tensors: group-32
/// symmetric int4/int8 weights become Q4_0/Q8_0 blocks and group-32 asymmetric int4 weights Q4_1
/// blocks (exactly what was exported), per-channel symmetric int8 weights stay int8 and run as W8A8
/// (int8 activations per token, as SmoothQuant exports declare); other group sizes and int8 zero
/// points are dequantized to f32.
final class CompressedTensorsWeights: WeightSource {
    private let base: WeightSource
    private let names: [String]
    private let quantized: Set<String>

    init(_ base: WeightSource) {
        self.base = base
        var logical = Set<String>(), q = Set<String>()
        for n in base.tensorNames {
            for suffix in [".weight_packed", ".weight_scale", ".weight_shape", ".weight_zero_point", ".weight_g_idx"] where n.hasSuffix(suffix) {
                let module = String(n.dropLast(suffix.count))
                logical.insert(module + ".weight")
                q.insert(module + ".weight")
            }
            if !(n.contains(".weight_") && (n.hasSuffix("_packed") || n.hasSuffix("_scale") || n.hasSuffix("_shape") || n.hasSuffix("_zero_point") || n.hasSuffix("_g_idx"))) {
                logical.insert(n)
            }
        }
        names = logical.sorted()
        quantized = q
    }

    var tensorNames: [String] { names }
    func location(of name: String) -> String { base.location(of: name) }

    func tensor(named name: String) throws -> Tensor? {
        guard quantized.contains(name) else { return try base.tensor(named: name) }
        let module = String(name.dropLast(".weight".count))
        guard let scale = try base.tensor(named: module + ".weight_scale") else {
            throw CheckpointError("\(location(of: name)): '\(module).weight_scale' is missing")
        }
        let zero = try base.tensor(named: module + ".weight_zero_point")
        if try base.tensor(named: module + ".weight_g_idx") != nil {
            throw CheckpointError("\(location(of: name)): '\(module).weight_g_idx' (activation-order groups) is not supported")
        }
        let codes: Tensor, bits: Int
        if let packed = try base.tensor(named: module + ".weight_packed") {
            guard let shape = try base.tensor(named: module + ".weight_shape"), shape.count == 2 else {
                throw CheckpointError("\(location(of: name)): '\(module).weight_shape' is missing or not 2 values")
            }
            let dims = try shape.checkedF32()
            let rows = Int(dims.floats[0]), cols = Int(dims.floats[1])
            guard packed.dtype == .i32, packed.rank == 2, rows >= 0, cols >= 0, packed.shape[0] == rows, packed.shape[1] == (cols + 7) / 8 else {
                throw CheckpointError("\(location(of: name)): '\(module).weight_packed' \(packed.dtype) \(shapeString(packed.shape)) does not hold \(rows) x \(cols) int4 values")
            }
            codes = try Tensor(zeros: [rows, cols], dtype: .i8)
            let words = UnsafeRawPointer(packed.storage.bytes).assumingMemoryBound(to: UInt32.self)
            let out = codes.storage.bytes.assumingMemoryBound(to: Int8.self)
            let perRow = packed.shape[1]
            for r in 0..<rows {
                for c in 0..<cols {
                    let word = UInt32(littleEndian: words[r * perRow + c / 8])
                    out[r * cols + c] = Int8((word >> (4 * UInt32(c % 8))) & 0xF) - 8
                }
            }
            bits = 4
        } else if let q = try base.tensor(named: name), q.dtype == .i8, q.rank == 2 {
            codes = q
            bits = 8
        } else {
            throw CheckpointError("\(location(of: name)): '\(name)' is neither packed int4 nor int8")
        }
        let rows = codes.shape[0], cols = codes.shape[1]
        guard scale.rank == 2, scale.shape[0] == rows, scale.shape[1] > 0, cols % scale.shape[1] == 0 else {
            throw CheckpointError("\(location(of: name)): '\(module).weight_scale' \(shapeString(scale.shape)) does not fit a \(rows) x \(cols) weight")
        }
        let group = cols / scale.shape[1]
        let s = try scale.checkedF32()
        let q = UnsafeRawPointer(codes.storage.bytes).assumingMemoryBound(to: Int8.self)
        if zero == nil && bits == 8 && scale.shape[1] == 1 && cols > 32 {
            // Per-channel int8 (W8A8, as written for SmoothQuant models): the codes stay int8 and
            // the decoder attaches `weight_scale`, so the model runs with int8 activations again.
            return codes
        }
        let blockScales = group == 32 && (scale.dtype == .f16 || scale.dtype == .f32 || scale.dtype == .bf16)
        if zero == nil && blockScales {
            return try blocks(q, s, rows: rows, cols: cols, bits: bits)
        }
        // General case: dense f32, value = scale * (q - zero point); zero points are packed along rows.
        var zp = [Float](repeating: 0, count: rows * scale.shape[1])
        if let zero {
            zp = try zeroPoints(zero, rows: rows, groups: scale.shape[1], bits: bits, name: module)
            // Asymmetric int4 in groups of 32 with int4 zero points is Q4_1 with m = -d*z (exact when d*z
            // is an f16, as the q4_1_zp grid makes it; else m is d*z rounded to f16, under 1% of a step).
            if bits == 4 && blockScales && zp.allSatisfy({ $0 >= -8 && $0 <= 7 && $0.rounded() == $0 }) {
                let scaleBits = (0..<s.count).map { halfBits(s.floats[$0]) }
                return try AsymmetricInt4.blocks(codes: q, scaleBits: scaleBits, zeros: zp.map { UInt8(Int($0) + 8) }, rows: rows, cols: cols)
            }
        }
        let out = try Tensor(zeros: [rows, cols])
        for r in 0..<rows {
            for c in 0..<cols {
                let g = r * scale.shape[1] + c / group
                out.floats[r * cols + c] = s.floats[g] * (Float(q[r * cols + c]) - zp[g])
            }
        }
        return out
    }

    /// Q4_0 or Q8_0 blocks from codes and per-32 scales (the scale rounded to f16 as ggml stores it).
    private func blocks(_ q: UnsafePointer<Int8>, _ s: Tensor, rows: Int, cols: Int, bits: Int) throws -> Tensor {
        let dtype: DType = bits == 4 ? .q4_0 : .q8_0
        let out = try Tensor(zeros: [rows, cols], dtype: dtype)
        let dst = out.storage.bytes
        let bb = dtype.size
        for b in 0..<(rows * cols / 32) {
            let block = dst + b * bb
            block.storeBytes(of: halfBits(s.floats[b]), as: UInt16.self)
            let codes = q + b * 32
            if bits == 4 {
                for j in 0..<16 {
                    let lo = UInt8(Int(codes[j]) + 8) & 0xF, hi = UInt8(Int(codes[j + 16]) + 8) & 0xF
                    (block + 2 + j).storeBytes(of: lo | hi << 4, as: UInt8.self)
                }
            } else {
                (block + 2).copyMemory(from: codes, byteCount: 32)
            }
        }
        return out
    }

    private func zeroPoints(_ z: Tensor, rows: Int, groups: Int, bits: Int, name: String) throws -> [Float] {
        if bits == 8 || z.dtype != .i32 {
            let f = try z.checkedF32()
            guard f.count == rows * groups else { throw CheckpointError("\(location(of: name)): '\(name).weight_zero_point' has \(f.count) values for \(rows * groups) groups") }
            return Array(UnsafeBufferPointer(start: f.floats, count: f.count))
        }
        // int4 zero points: packed 8 per int32 along the rows (packed_dim 0), stored as q + 8.
        guard z.rank == 2, z.shape[0] == (rows + 7) / 8, z.shape[1] == groups else {
            throw CheckpointError("\(location(of: name)): '\(name).weight_zero_point' \(shapeString(z.shape)) does not fit \(rows) rows x \(groups) groups")
        }
        let words = UnsafeRawPointer(z.storage.bytes).assumingMemoryBound(to: UInt32.self)
        var out = [Float](repeating: 0, count: rows * groups)
        for r in 0..<rows {
            for g in 0..<groups {
                let word = UInt32(littleEndian: words[(r / 8) * groups + g])
                out[r * groups + g] = Float(Int((word >> (4 * UInt32(r % 8))) & 0xF) - 8)
            }
        }
        return out
    }
}

/// IEEE half bits of a float, round to nearest even (ggml's GGML_FP32_TO_FP16).
func halfBits(_ f: Float) -> UInt16 {
    Float16(f).bitPattern
}
