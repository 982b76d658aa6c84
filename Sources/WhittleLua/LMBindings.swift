import CLua
import Foundation
import WhittleNN
import WhittleTensor

/// `whittle.lm`: transformer checkpoints (Hugging Face directories), logits, generation,
/// perplexity and sentence embeddings. Token ids are the model's own (0-based) ids.
enum LMBindings {
    static let namespaces: [Namespace] = [
        Namespace("lm", doc: "Transformer language models and sentence encoders: load, logits, generate, perplexity, embed.", [
            Binding("load", "whittle.lm.load(path) -> LM",
                    "A GGUF file (weights in their ggml types, hyperparameters and tokenizer from its metadata) or a Hugging Face model directory (config.json + safetensors, f32/f16/bf16 kept as stored; tokenizer.json), memory-mapped. Architectures: llama, mistral, qwen2, qwen3, gemma3, bert.") { c in
                let path = try c.string(1, "path")
                c.push(object: try LanguageModelLoader.load(path: path), className: "LM")
                return 1
            },
            Binding("perplexity", "whittle.lm.perplexity(lm, text_or_ids, {ctx=512, chunks=}) -> {ppl=, err=, tokens=, chunks=}",
                    "llama.cpp's method: chunks of ctx tokens from an empty cache, the second half of each scored; ppl ± its error as llama-perplexity prints.") { c in
                let lm = try model(c)
                let d = try decoder(c, lm)
                let o = try c.options(3)
                let ctx = try o.integer("ctx", default: min(512, lm.maxContext), in: 4...lm.maxContext)
                let chunks = o.has("chunks") ? try o.integer("chunks", in: 1...1_000_000) : nil
                try o.finish()
                let tokens = try ids(c, 2, "text", lm, addSpecial: true)
                let bos = lm.tokenizer?.bosID
                let r = try Perplexity.compute(d, tokens: tokens, ctx: ctx, chunks: chunks, bos: bos)
                c.push(record: [("ppl", .number(r.perplexity)), ("err", .number(r.error)), ("tokens", .integer(r.scoredTokens)),
                                ("chunks", .integer(r.chunks)), ("per_chunk", .array(r.perChunk.map { .number($0) }))])
                return 1
            },
        ]),
    ]

    static let classes: [LuaClass] = [lmClass, tokenizerClass]

    /// The tokenizer as a Lua object: a holder so that any `TextCodec` can be pushed.
    final class TokenizerHandle {
        let codec: TextCodec
        let vocab: Int
        init(_ codec: TextCodec, vocab: Int) { self.codec = codec; self.vocab = vocab }
    }

    static func tokenizer(_ c: LuaCall) throws -> TokenizerHandle {
        try c.object(1, "self", TokenizerHandle.self, className: "Tokenizer")
    }

    static let tokenizerClass = LuaClass("Tokenizer", doc: "A model's tokenizer (byte-level BPE, SentencePiece BPE or WordPiece).", methods: [
        Binding("encode", "tok:encode(text, {add_special=true}) -> ids", "Token ids of a text (0-based model ids), with BOS/[CLS]... as the model's files say.") { c in
            let t = try tokenizer(c)
            let text = try c.string(2, "text")
            let o = try c.options(3)
            let special = try o.bool("add_special", default: true)
            try o.finish()
            c.push(integers: try t.codec.encode(text, addSpecial: special))
            return 1
        },
        Binding("decode", "tok:decode(ids) -> string", "The text of token ids (special tokens dropped).") { c in
            let t = try tokenizer(c)
            let ids = try c.integers(2, "ids")
            for id in ids where id < 0 || id >= t.vocab {
                throw c.error("'ids': token id \(id) is out of range for a vocabulary of \(t.vocab)")
            }
            c.push(try t.codec.decode(ids))
            return 1
        },
    ], metamethods: [
        Binding("__tostring", "tostring(tok)", "Vocabulary size.") { c in
            c.push("Tokenizer(\(try tokenizer(c).vocab) tokens)"); return 1
        },
    ])

    static func model(_ c: LuaCall, _ i: Int32 = 1) throws -> LanguageModel {
        try c.object(i, i == 1 ? "self" : "lm", LanguageModel.self, className: "LM")
    }

    static func decoder(_ c: LuaCall, _ lm: LanguageModel) throws -> DecoderModel {
        guard let d = lm.decoder else { throw c.error("\(lm.architecture) is an encoder: it has no next-token logits") }
        return d
    }

    /// Token ids from argument i: a table of ids, or a string encoded by the model's tokenizer.
    static func ids(_ c: LuaCall, _ i: Int32, _ param: String, _ lm: LanguageModel, addSpecial: Bool) throws -> [Int] {
        let ids: [Int]
        if lua_type(c.L, i) == LUA_TSTRING {
            let text = try c.string(i, param)
            guard !text.isEmpty else { throw c.error("'\(param)' is an empty text") }
            guard let t = lm.tokenizer else {
                throw c.error("'\(param)': this model has no tokenizer Whittle can read; pass token ids as a table")
            }
            ids = try t.encode(text, addSpecial: addSpecial)
        } else {
            ids = try c.integers(i, param)
        }
        guard !ids.isEmpty else { throw c.error("'\(param)' has no tokens") }
        for id in ids where id < 0 || id >= lm.vocabSize {
            throw c.error("'\(param)': token id \(id) is out of range for a vocabulary of \(lm.vocabSize)")
        }
        return ids
    }

    static let lmClass = LuaClass("LM", doc: "A loaded transformer (decoder or encoder); its tensors stay in their stored types.", methods: [
        Binding("logits", "lm:logits(ids) -> Tensor (n, vocab)", "Next-token logits for every position of a token sequence (ids as a table, or a string with a tokenizer).") { c in
            let lm = try model(c)
            _ = try decoder(c, lm)
            c.push(try lm.logits(try ids(c, 2, "ids", lm, addSpecial: true)))
            return 1
        },
        Binding("generate", "lm:generate(prompt, {max_tokens=64, temperature=0, top_k=0, top_p=1, seed=0}) -> string or ids",
                "Continues a prompt (a string with a tokenizer, or a table of ids) with a KV cache; temperature 0 is greedy. Returns the same kind as the prompt.") { c in
            let lm = try model(c)
            let d = try decoder(c, lm)
            let o = try c.options(3)
            let maxTokens = try o.integer("max_tokens", default: 64, in: 0...1_000_000)
            let temperature = try o.number("temperature", default: 0, in: 0...1000)
            let topK = try o.integer("top_k", default: 0, in: 0...Int(Int32.max))
            let topP = try o.number("top_p", default: 1, in: 0...1)
            let seed = try o.integer("seed", default: 0, in: 0...Int.max)
            try o.finish()
            guard topP > 0 else { throw c.error("'top_p' must be in (0, 1], got 0") }
            let isText = lua_type(c.L, 2) == LUA_TSTRING
            let prompt = try ids(c, 2, "prompt", lm, addSpecial: true)
            var sampler = try Sampler(temperature: Float(temperature), topK: topK, topP: Float(topP), seed: UInt64(seed))
            let r = try Generator.run(d, prompt: prompt, maxTokens: maxTokens, sampler: &sampler, stopTokens: lm.tokenizer?.stopIDs ?? [])
            if isText, let t = lm.tokenizer { c.push(try t.decode(r.tokens)) } else { c.push(integers: r.tokens) }
            return 1
        },
        Binding("embed", "lm:embed(texts) -> Tensor (n, hidden)",
                "Sentence embeddings of an encoder (mean-pooled, L2-normalised): texts is a table of strings (with a tokenizer) or of id tables.") { c in
            let lm = try model(c)
            guard lm.encoder != nil else { throw c.error("\(lm.architecture) is a decoder: embeddings need an encoder model such as bert") }
            try c.requireTable(2, "texts")
            let n = Int(lua_rawlen(c.L, 2))
            guard n > 0 else { throw c.error("'texts' is empty") }
            var seqs: [[Int]] = []
            for k in 1...n {
                lua_rawgeti(c.L, 2, lua_Integer(k))
                defer { Lua.pop(c.L) }
                seqs.append(try ids(c, Lua.absolute(c.L, -1), "texts[\(k)]", lm, addSpecial: true))
            }
            c.push(try lm.embed(seqs))
            return 1
        },
        Binding("summary", "lm:summary() -> string", "Every tensor with its stored type, shape, bytes and bits per weight; totals.") { c in
            c.push(try model(c).summaryText())
            return 1
        },
    ] + LMExportBindings.lmMethods, properties: [
        Binding("config", "lm.config -> {arch=, layers=, hidden=, heads=, kv_heads=, head_dim=, ffn=, vocab=, ctx=}", "The model's headline numbers.") { c in
            c.push(record: try model(c).summaryConfig.map { kv in
                (kv.key, (kv.value as? Int).map { LuaValue.integer($0) } ?? .string("\(kv.value)"))
            })
            return 1
        },
        Binding("tokenizer", "lm.tokenizer -> Tokenizer or nil", "The checkpoint's tokenizer (tokenizer.json or GGUF tokenizer.ggml.*), nil when it has none.") { c in
            let lm = try model(c)
            if let t = lm.tokenizer { c.push(object: TokenizerHandle(t, vocab: lm.vocabSize), className: "Tokenizer") } else { c.pushNil() }
            return 1
        },
        Binding("path", "lm.path -> string", "Where the model was loaded from.") { c in
            c.push(try model(c).path); return 1
        },
    ], metamethods: [
        Binding("__tostring", "tostring(lm)", "Architecture and size.") { c in
            let lm = try model(c)
            let cfg = lm.summaryConfig.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            c.push("LM(\(cfg))")
            return 1
        },
    ])
}
