-- SmoothQuant W8A8 on SmolLM2-135M-Instruct: int8 weights (one scale per output channel) and int8
-- activations (per token, dynamic) run by the int8 kernels, with and without smoothing, by
-- perplexity on the first half of Persuasion (ctx 512), calibrated on the second half.
--
-- Make the input first (the model comes from Scripts/models/fetch.sh):
--   whittle quantize ~/.cache/whittle/models/SmolLM2-135M-Instruct.Q4_1.gguf smollm2-f32.gguf F32 --allow-requantize
-- then: whittle run Scripts/recipes/llm_smoothquant.lua smollm2-f32.gguf [chunks] [windows] [alpha]
local w = whittle
local f32 = arg[1] or "smollm2-f32.gguf"
local chunks, windows, alpha = tonumber(arg[2]) or 8, tonumber(arg[3]) or 32, tonumber(arg[4]) or 0.5
local text = io.open("Data/text/austen_persuasion.txt"):read("a")
local eval = text:sub(1, #text // 2)
local function ppl(lm) return w.lm.perplexity(lm, eval, {ctx = 512, chunks = chunks}).ppl end

local lm = w.lm.load(f32)
local base = ppl(lm)
local calib = w.data.text(text):slice(0.5, 1):windows(lm.tokenizer, {ctx = 512, count = windows, seed = 1})
local plain = w.lm.load(f32)
w.quantize.smoothquant(plain, calib, {smooth = false})
local plainPpl = ppl(plain)
local t0 = w.now()
w.quantize.smoothquant(lm, calib, {alpha = alpha})
local seconds = w.now() - t0
local sq = ppl(lm)
print(string.format("| model | perplexity (%d chunks of 512) | change from F32 |", chunks))
print("|---|---:|---:|")
print(string.format("| F32 | %.3f | |", base))
print(string.format("| W8A8 without smoothing | %.3f | %+.2f%% |", plainPpl, 100 * (plainPpl - base) / base))
print(string.format("| SmoothQuant W8A8, alpha %.2f (%d windows of 512, %.0f s) | %.3f | %+.2f%% |", alpha, windows, seconds, sq, 100 * (sq - base) / base))
