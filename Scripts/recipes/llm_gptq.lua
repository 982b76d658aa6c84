-- GPTQ into Q4_0 blocks on SmolLM2-135M-Instruct against round-to-nearest Q4_0, by perplexity
-- on the first half of Persuasion (ctx 512), calibrated on the second half.
--
-- Make the inputs first (the model comes from Scripts/models/fetch.sh):
--   M=~/.cache/whittle/models
--   whittle quantize $M/SmolLM2-135M-Instruct.Q4_1.gguf smollm2-f32.gguf F32 --allow-requantize
--   whittle quantize smollm2-f32.gguf smollm2-rtn-q4_0.gguf Q4_0 --pure --token-embedding-type f32
-- then: whittle run Scripts/recipes/llm_gptq.lua smollm2-f32.gguf smollm2-rtn-q4_0.gguf [chunks] [windows]
-- (RTN keeps the embeddings in F32 so that both runs quantize exactly the same tensors.)
local w = whittle
local f32, rtnPath = arg[1] or "smollm2-f32.gguf", arg[2] or "smollm2-rtn-q4_0.gguf"
local chunks, windows = tonumber(arg[3]) or 8, tonumber(arg[4]) or 32
local actOrder = arg[5] == "act_order"
local text = io.open("Data/text/austen_persuasion.txt"):read("a")
local calib, eval = text:sub(#text // 2), text:sub(1, #text // 2)
local function ppl(lm) return w.lm.perplexity(lm, eval, {ctx = 512, chunks = chunks}).ppl end

local lm = w.lm.load(f32)
local base = ppl(lm)
local rtn = ppl(w.lm.load(rtnPath))
local t0 = w.now()
w.lm.gptq(lm, calib, {format = "q4_0", ctx = 512, windows = windows, act_order = actOrder})
local seconds = w.now() - t0
local gptq = ppl(lm)
print(string.format("| model | perplexity (%d chunks of 512) | increase over F32 |", chunks))
print("|---|---:|---:|")
print(string.format("| F32 | %.3f | |", base))
print(string.format("| RTN Q4_0 | %.3f | %.3f |", rtn, rtn - base))
print(string.format("| GPTQ Q4_0 (%d windows of 512, %.0f s) | %.3f | %.3f (%.2fx RTN's) |", windows, seconds, gptq, gptq - base, (gptq - base) / (rtn - base)))
