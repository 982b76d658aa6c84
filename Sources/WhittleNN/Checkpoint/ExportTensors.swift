import Foundation
import WhittleKernels
import WhittleTensor

/// Tensor rewrites the exporters share: Llama's q/k row order, Gemma's norm offset, f32 copies.
enum ExportTensors {
    /// llama.cpp's converter order for Llama q/k rows: within each head, row (half s, index i) moves
    /// to 2i + s, so that ggml's adjacent-pair RoPE matches Hugging Face's rotate-half. `inverse`
    /// undoes it. Rows move whole, so any stored type (including ggml blocks) is permuted exactly.
    static func permuteRows(_ t: Tensor, heads: Int, inverse: Bool, name: String) throws -> Tensor {
        let rows = t.rank >= 1 ? t.shape[0] : 0
        guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0, rows > 0 else {
            throw ExportError("tensor '\(name)': \(rows) rows cannot be split into \(heads) heads of rotary pairs")
        }
        let rowBytes = t.byteCount / rows
        let out = try Tensor(zeros: t.shape, dtype: t.dtype)
        let half = rows / heads / 2
        let src = UnsafeRawPointer(t.storage.bytes), dst = out.storage.bytes
        for h in 0..<heads {
            for s in 0..<2 {
                for i in 0..<half {
                    let hf = h * 2 * half + s * half + i, gg = h * 2 * half + 2 * i + s
                    let (from, to) = inverse ? (gg, hf) : (hf, gg)
                    (dst + to * rowBytes).copyMemory(from: src + from * rowBytes, byteCount: rowBytes)
                }
            }
        }
        return out
    }

    /// An f32 copy of any stored type (ggml blocks decoded).
    static func f32(_ t: Tensor) throws -> Tensor {
        if t.dtype == .f32 { return t }
        return try t.checkedF32()
    }

    /// An f32 copy with `delta` added to every element (Gemma norms: GGUF stores 1 + w, Hugging Face w).
    static func offset(_ t: Tensor, by delta: Float) throws -> Tensor {
        let out = try f32(t).clone()
        for i in 0..<out.count { out.floats[i] += delta }
        return out
    }

    /// Parameter names of every projection weight (the linear layers a quantizer targets).
    static func projectionWeights(_ root: Module) -> Set<String> {
        var out = Set<String>()
        func walk(_ m: Module, _ path: String) {
            if m is Projection { out.insert(path.isEmpty ? "weight" : path + ".weight") }
            for c in m.children { walk(c.module, path.isEmpty ? c.name : path + "." + c.name) }
        }
        walk(root, "")
        return out
    }

    /// True for the RMSNorm weights of a decoder (the ones whose stored form depends on the offset convention).
    static func isNormWeight(_ name: String) -> Bool { name.hasSuffix("norm.weight") }
}
