-- SparseGPT against Wanda and magnitude pruning on SmolLM2-135M-Instruct, 50% unstructured and
-- 2:4, by perplexity on the first half of Persuasion (ctx 512), calibrated on the second half.
-- Every method prunes the same tensors: the attention and MLP projections of every block
-- (magnitude layer-wise, Wanda per output row, SparseGPT per lazy batch of 128 columns with
-- inverse-Hessian reconstruction), never the embeddings.
--
-- Make the input first (the model comes from Scripts/models/fetch.sh):
--   whittle quantize ~/.cache/whittle/models/SmolLM2-135M-Instruct.Q4_1.gguf smollm2-f32.gguf F32 --allow-requantize
-- then: whittle run Scripts/recipes/llm_sparsegpt.lua smollm2-f32.gguf [chunks=8] [windows=32] [runs]
-- where runs is a comma list of dense,mag50,wanda50,sgpt50,mag24,wanda24,sgpt24 (default all),
-- so the runs can be split over processes.
local w = whittle
local path = arg[1] or "smollm2-f32.gguf"
local chunks, count = tonumber(arg[2]) or 8, tonumber(arg[3]) or 32
local only = arg[4] and {} or nil
for k in (arg[4] or ""):gmatch("[^,]+") do only[k] = true end
local function wanted(k) return only == nil or only[k] end
local file = "Data/text/austen_persuasion.txt"
local text = io.open(file):read("a")
local eval = text:sub(1, #text // 2)
local function ppl(lm) return w.lm.perplexity(lm, eval, {ctx = 512, chunks = chunks}).ppl end

local dense = w.lm.load(path)
local calib = w.data.text(file):slice(0.5, 1):windows(dense.tokenizer, {ctx = 512, count = count})
local base = wanted("dense") and ppl(dense) or nil
dense = nil
collectgarbage()

local runs = {
  {"magnitude", "50%", "prune.magnitude", {sparsity = 0.5}, "mag50"},
  {"Wanda", "50%", "prune.wanda", {sparsity = 0.5, data = calib}, "wanda50"},
  {"SparseGPT", "50%", "prune.sparsegpt", {sparsity = 0.5, data = calib}, "sgpt50"},
  {"magnitude", "2:4", "prune.nm", {n = 2, m = 4}, "mag24"},
  {"Wanda", "2:4", "prune.wanda", {n = 2, m = 4, data = calib}, "wanda24"},
  {"SparseGPT", "2:4", "prune.sparsegpt", {n = 2, m = 4, data = calib}, "sgpt24"},
}
local results, magnitude = {}, {}
for _, r in ipairs(runs) do if wanted(r[5]) then
  local lm = w.lm.load(path)
  local t0 = w.now()
  local report = w.run_pass(r[3], lm, r[4])
  local seconds = w.now() - t0
  local p = ppl(lm)
  results[#results + 1] = {method = r[1], pattern = r[2], sparsity = report.summary.sparsity, ppl = p, seconds = seconds}
  if r[1] == "magnitude" and base then magnitude[r[2]] = p - base end
  io.stderr:write(string.format("%s %s: perplexity %.3f (%.0f s)\n", r[1], r[2], p, seconds))
  lm = nil
  collectgarbage()
end end

print(string.format("| method | pattern | projection sparsity | perplexity (%d chunks of 512) | increase over dense | vs magnitude's increase | pass time |", chunks))
print("|---|---|---:|---:|---:|---:|---:|")
if base then print(string.format("| dense F32 | | 0 | %.3f | | | |", base)) end
for _, r in ipairs(results) do
  local inc = base and r.ppl - base
  local vs = inc and magnitude[r.pattern] and string.format("%.3fx", inc / magnitude[r.pattern]) or ""
  print(string.format("| %s | %s | %.3f | %.3f | %s | %s | %.0f s |", r.method, r.pattern, r.sparsity, r.ppl,
                      inc and string.format("%.2f", inc) or "", vs, r.seconds))
end
print(string.format("(%d calibration windows of 512 tokens from the second half of Persuasion)", count))
