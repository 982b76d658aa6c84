-- quantize.mix on SmolLM2-135M-Instruct: a ggml type per projection at 4.5 bits per weight, chosen by
-- measured sensitivity, against round-to-nearest Q4_0 (also 4.5 bpw) by KL divergence from the F32
-- base on the first half of Persuasion (ctx 512), calibrated on the second half.
--
-- Make the inputs first (the model comes from Scripts/models/fetch.sh):
--   M=~/.cache/whittle/models
--   whittle quantize $M/SmolLM2-135M-Instruct.Q4_1.gguf smollm2-f32.gguf F32 --allow-requantize
--   whittle quantize smollm2-f32.gguf smollm2-rtn-q4_0.gguf Q4_0 --pure --token-embedding-type f32
-- then: whittle run Scripts/recipes/llm_mix.lua smollm2-f32.gguf smollm2-rtn-q4_0.gguf [chunks] [windows] [bpw]
-- (RTN keeps the embeddings in F32, as the mix does, so both quantize exactly the same tensors.)
local w = whittle
local f32, rtnPath = arg[1] or "smollm2-f32.gguf", arg[2] or "smollm2-rtn-q4_0.gguf"
local chunks, windows, bpw = tonumber(arg[3]) or 8, tonumber(arg[4]) or 16, tonumber(arg[5]) or 4.5
local text = w.data.text("Data/text/austen_persuasion.txt")
local calibText, eval = text:slice(0.5, 1), text:slice(0, 0.5).string

local base = w.lm.load(f32)
local rtn = w.lm.compare(base, w.lm.load(rtnPath), eval, {ctx = 512, chunks = chunks, print = false})

local lm = w.lm.load(f32)
local calib = calibText:windows(lm.tokenizer, {ctx = 512, count = windows, seed = 1})
local t0 = w.now()
local report = w.run_pass("quantize.mix", lm, {data = calib, bpw = bpw})
local seconds = w.now() - t0
local mix = w.lm.compare(base, lm, eval, {ctx = 512, chunks = chunks, print = false})

local counts = {}
for _, t in ipairs({"q8_0", "q6_K", "q5_1", "q5_K", "q5_0", "q4_1", "q4_K", "iq4_nl", "q4_0", "iq4_xs", "q3_K"}) do
  if report.summary[t] then counts[#counts + 1] = t .. " x" .. report.summary[t] end
end
print("plan: " .. table.concat(counts, ", ") .. string.format(" (%.4f bpw, %.2f MB of projections)", report.summary.bpw, report.summary.bytes / 1e6))
print(string.format("| model (%d chunks of 512, first half of Persuasion) | bpw (projections) | PPL | KLD vs F32 | top-1 %% |", chunks))
print("|---|---:|---:|---:|---:|")
print(string.format("| F32 | 32 | %.3f | | |", rtn.ppl_base))
print(string.format("| RTN Q4_0 | 4.5 | %.3f | %.5f ± %.5f | %.2f |", rtn.ppl, rtn.kld, rtn.kld_err, rtn.top1))
print(string.format("| quantize.mix (%d windows, %.0f s) | %.3f | %.3f | %.5f ± %.5f | %.2f |", windows, seconds,
                    report.summary.bpw, mix.ppl, mix.kld, mix.kld_err, mix.top1))
