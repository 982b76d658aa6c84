-- AWQ into Q4_0 blocks on SmolLM2-135M-Instruct against round-to-nearest Q4_0, by perplexity
-- on the first half of Persuasion (ctx 512), calibrated on the second half.
--
-- Make the inputs first (the model comes from Scripts/models/fetch.sh):
--   M=~/.cache/whittle/models
--   whittle quantize $M/SmolLM2-135M-Instruct.Q4_1.gguf smollm2-f32.gguf F32 --allow-requantize
--   whittle quantize smollm2-f32.gguf smollm2-rtn-q4_0.gguf Q4_0 --pure --token-embedding-type f32
-- then: whittle run Scripts/recipes/llm_awq.lua smollm2-f32.gguf smollm2-rtn-q4_0.gguf [chunks] [windows] [out.gguf]
-- (RTN keeps the embeddings in F32 so that both runs quantize exactly the same tensors.)
local w = whittle
local f32, rtnPath = arg[1] or "smollm2-f32.gguf", arg[2] or "smollm2-rtn-q4_0.gguf"
local chunks, windows, out = tonumber(arg[3]) or 8, tonumber(arg[4]) or 32, arg[5]
local text = io.open("Data/text/austen_persuasion.txt"):read("a")
local eval = text:sub(1, #text // 2)
local function ppl(lm) return w.lm.perplexity(lm, eval, {ctx = 512, chunks = chunks}).ppl end

local lm = w.lm.load(f32)
local base = ppl(lm)
local rtn = ppl(w.lm.load(rtnPath))
local calib = w.data.text(text):slice(0.5, 1):windows(lm.tokenizer, {ctx = 512, count = windows, seed = 1})
local t0 = w.now()
w.quantize.awq(lm, calib, {format = "q4_0"})
local seconds = w.now() - t0
local awq = ppl(lm)
if out then lm:save(out) end
print(string.format("| model | perplexity (%d chunks of 512) | increase over F32 |", chunks))
print("|---|---:|---:|")
print(string.format("| F32 | %.3f | |", base))
print(string.format("| RTN Q4_0 | %.3f | %.3f |", rtn, rtn - base))
print(string.format("| AWQ Q4_0 (%d windows of 512, %.0f s) | %.3f | %.3f (%.2fx RTN's) |", windows, seconds, awq, awq - base, (awq - base) / (rtn - base)))
