import Foundation
import WhittleFormats
import WhittleTensor

/// Small random-weight Llama checkpoints (Hugging Face directories) for the language-model passes' tests.
enum RandomLlama {
    /// Writes config.json and model.safetensors for a random-weight Llama; returns the directory.
    /// `gain(layer, projection)` scales one projection's weights (to make it more sensitive than the rest).
    static func write(hidden: Int, ffn: Int, vocab: Int, layers: Int, seed: UInt64 = 41, maxPositions: Int = 128, headScale: Float = 0.1,
                      gain: (Int, String) -> Float = { _, _ in 1 }) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-dgptq-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = """
        {"model_type": "llama", "hidden_size": \(hidden), "intermediate_size": \(ffn), "num_attention_heads": 4,
         "num_key_value_heads": 2, "num_hidden_layers": \(layers), "vocab_size": \(vocab), "max_position_embeddings": \(maxPositions),
         "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": false, "hidden_act": "silu"}
        """
        try config.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        var g = Synthetic.Gauss(s: seed)
        func randn(_ shape: [Int], _ scale: Float) throws -> Tensor {
            try Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in scale * g.next() })
        }
        var tensors: [(name: String, tensor: Tensor)] = [
            ("model.embed_tokens.weight", try randn([vocab, hidden], 1)),
            ("model.norm.weight", try Tensor(shape: [hidden], values: [Float](repeating: 1, count: hidden))),
            ("lm_head.weight", try randn([vocab, hidden], headScale)),
        ]
        for l in 0..<layers {
            let p = "model.layers.\(l)."
            for n in ["input_layernorm", "post_attention_layernorm"] {
                tensors.append((p + n + ".weight", try Tensor(shape: [hidden], values: [Float](repeating: 1, count: hidden))))
            }
            for (n, o, i) in [("self_attn.q_proj", hidden, hidden), ("self_attn.k_proj", hidden / 2, hidden), ("self_attn.v_proj", hidden / 2, hidden),
                              ("self_attn.o_proj", hidden, hidden), ("mlp.gate_proj", ffn, hidden), ("mlp.up_proj", ffn, hidden), ("mlp.down_proj", hidden, ffn)] {
                tensors.append((p + n + ".weight", try randn([o, i], gain(l, n) / Float(i).squareRoot())))
            }
        }
        try Safetensors.write(tensors, metadata: [:], to: dir + "/model.safetensors")
        return dir
    }

}
