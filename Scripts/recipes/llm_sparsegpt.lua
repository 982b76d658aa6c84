-- SparseGPT against Wanda and magnitude pruning on SmolLM2-135M-Instruct, 50% unstructured and
-- 2:4, by perplexity on the first half of Persuasion (ctx 512), calibrated on the second half.
-- Every method prunes the same tensors: the attention and MLP projections of every block
-- (magnitude layer-wise, Wanda per output row, SparseGPT per lazy batch of 128 columns with
-- inverse-Hessian reconstruction), never the embeddings.
--
-- Make the input first (the model comes from Scripts/models/fetch.sh):
--   whittle quantize ~/.cache/whittle/models/SmolLM2-135M-Instruct.Q4_1.gguf smollm2-f32.gguf F32 --allow-requantize
-- then: whittle run Scripts/recipes/llm_sparsegpt.lua smollm2-f32.gguf [chunks=8] [windows=32]
local w = whittle
local path = arg[1] or "smollm2-f32.gguf"
local chunks, count = tonumber(arg[2]) or 8, tonumber(arg[3]) or 32
local file = "Data/text/austen_persuasion.txt"
local text = io.open(file):read("a")
local eval = text:sub(1, #text // 2)
local function ppl(lm) return w.lm.perplexity(lm, eval, {ctx = 512, chunks = chunks}).ppl end

local dense = w.lm.load(path)
local calib = w.data.text(file):slice(0.5, 1):windows(dense.tokenizer, {ctx = 512, count = count})
local base = ppl(dense)
dense = nil
collectgarbage()

local runs = {
  {"magnitude", "50%", "prune.magnitude", {sparsity = 0.5}},
  {"Wanda", "50%", "prune.wanda", {sparsity = 0.5, data = calib}},
  {"SparseGPT", "50%", "prune.sparsegpt", {sparsity = 0.5, data = calib}},
  {"magnitude", "2:4", "prune.nm", {n = 2, m = 4}},
  {"Wanda", "2:4", "prune.wanda", {n = 2, m = 4, data = calib}},
  {"SparseGPT", "2:4", "prune.sparsegpt", {n = 2, m = 4, data = calib}},
}
local results, magnitude = {}, {}
for i, r in ipairs(runs) do
  local lm = w.lm.load(path)
  local t0 = w.now()
  local report = w.run_pass(r[3], lm, r[4])
  local seconds = w.now() - t0
  local p = ppl(lm)
  results[i] = {method = r[1], pattern = r[2], sparsity = report.summary.sparsity, ppl = p, seconds = seconds}
  if r[1] == "magnitude" then magnitude[r[2]] = p - base end
  io.stderr:write(string.format("%s %s: perplexity %.3f (%.0f s)\n", r[1], r[2], p, seconds))
  lm = nil
  collectgarbage()
end

print(string.format("| method | pattern | projection sparsity | perplexity (%d chunks of 512) | increase over dense | vs magnitude's increase | pass time |", chunks))
print("|---|---|---:|---:|---:|---:|---:|")
print(string.format("| dense F32 | | 0 | %.3f | | | |", base))
for _, r in ipairs(results) do
  local inc = r.ppl - base
  print(string.format("| %s | %s | %.3f | %.3f | %.2f | %.3fx | %.0f s |", r.method, r.pattern, r.sparsity, r.ppl, inc,
                      inc / magnitude[r.pattern], r.seconds))
end
print(string.format("(%d calibration windows of 512 tokens from the second half of Persuasion)", count))
