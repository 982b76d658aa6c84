-- Every language-model method at one setting, one row each, for the README's reproduction table:
-- method, bits per weight of the projections, file size, perplexity, KL divergence and top-1
-- agreement against the F32 base, and the time the method took (calibration tokens/s).
--
-- The model is SmolLM2-135M-Instruct dequantized to F32 from the shipped Q4_1 (the issue's base).
-- Perplexity is on the first half of Persuasion (ctx 512, llama-perplexity's method), calibration
-- windows of 512 tokens come from the second half. Every method changes the 210 attention and MLP
-- projections and keeps the embeddings in F32, so file sizes differ only by the projections.
-- Each model is saved to OUTDIR: a GGUF (Scripts/bench/llm_table.sh then adds llama-perplexity's
-- figure for each), or for W8A8 a compressed-tensors directory (int8 per channel, int8 activations).
--
--   whittle run Scripts/recipes/llm_table.lua BASE.gguf OUTDIR [chunks=20] [windows=128] [only=a,b,...]
-- Method keys for `only`: rtn, rtn_imatrix, gptq, w8a8, smoothquant, magnitude, wanda, sparsegpt,
-- sparsegpt24, awq, mix (the slowest last, so that a run cut short still has the other rows).
local w = whittle
local basePath, outDir = arg[1], arg[2]
assert(basePath and outDir, "usage: whittle run Scripts/recipes/llm_table.lua BASE.gguf OUTDIR [chunks] [windows] [only]")
local chunks, windows = tonumber(arg[3]) or 20, tonumber(arg[4]) or 128
local only
if arg[5] then only = {}; for k in arg[5]:gmatch("[^,]+") do only[k] = true end end

local text = w.data.text("Data/text/austen_persuasion.txt")
local eval = text:slice(0, 0.5).string
local base = w.lm.load(basePath)
local calib = text:slice(0.5, 1):windows(base.tokenizer, {ctx = 512, count = windows, seed = 1})
local calibTokens = windows * 512

-- Bytes of a GGUF file, or of a Hugging Face directory's weights.
local function fileBytes(path)
  if not path:match("%.gguf$") then path = path .. "/model.safetensors" end
  local f = assert(io.open(path, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

local imatrixPath = outDir .. "/imatrix.gguf"
local methods = {
  {key = "rtn", label = "RTN Q4_0", bpw = "4.5", file = "rtn-q4_0.gguf",
   run = function(lm) return w.run_pass("quantize.weights", lm, {type = "Q4_0", pure = true, token_embedding_type = "f32"}) end},
  {key = "rtn_imatrix", label = "RTN Q4_0 + imatrix", bpw = "4.5", file = "rtn-imatrix-q4_0.gguf", calibrated = true,
   run = function(lm)
     w.imatrix.compute(lm, text:slice(0.5, 1).string, {ctx = 512, windows = windows, seed = 1}):save(imatrixPath)
     return w.run_pass("quantize.weights", lm, {type = "Q4_0", pure = true, token_embedding_type = "f32", imatrix = imatrixPath})
   end},
  {key = "gptq", label = "GPTQ Q4_0, act-order", bpw = "4.5", file = "gptq-q4_0.gguf", calibrated = true,
   run = function(lm) return w.run_pass("quantize.gptq", lm, {data = calib, format = "q4_0", act_order = true}) end},
  {key = "w8a8", label = "W8A8, no smoothing", bpw = "8 + row scale", file = "w8a8-ct", save = {format = "compressed-tensors"}, calibrated = true,
   run = function(lm) return w.run_pass("quantize.smoothquant", lm, {data = calib, smooth = false}) end},
  {key = "smoothquant", label = "SmoothQuant W8A8, alpha 0.5", bpw = "8 + row scale", file = "smoothquant-ct", save = {format = "compressed-tensors"}, calibrated = true,
   run = function(lm) return w.run_pass("quantize.smoothquant", lm, {data = calib, alpha = 0.5}) end},
  {key = "magnitude", label = "magnitude 50%", bpw = "32, 50% zeros", file = "magnitude-50.gguf",
   run = function(lm) return w.run_pass("prune.magnitude", lm, {sparsity = 0.5}) end},
  {key = "wanda", label = "Wanda 50%", bpw = "32, 50% zeros", file = "wanda-50.gguf", calibrated = true,
   run = function(lm) return w.run_pass("prune.wanda", lm, {data = calib, sparsity = 0.5}) end},
  {key = "sparsegpt", label = "SparseGPT 50%", bpw = "32, 50% zeros", file = "sparsegpt-50.gguf", calibrated = true,
   run = function(lm) return w.run_pass("prune.sparsegpt", lm, {data = calib, sparsity = 0.5}) end},
  {key = "sparsegpt24", label = "SparseGPT 2:4", bpw = "32, 2:4", file = "sparsegpt-2of4.gguf", calibrated = true,
   run = function(lm) return w.run_pass("prune.sparsegpt", lm, {data = calib, n = 2, m = 4}) end},
  {key = "awq", label = "AWQ Q4_0", bpw = "4.5", file = "awq-q4_0.gguf", calibrated = true,
   run = function(lm) return w.run_pass("quantize.awq", lm, {data = calib, format = "q4_0"}) end},
  {key = "mix", label = "quantize.mix at 4.5 bpw", bpw = "4.5", file = "mix-4.5.gguf", calibrated = true,
   run = function(lm) return w.run_pass("quantize.mix", lm, {data = calib, bpw = 4.5}) end},
}

local tsv = assert(io.open(outDir .. "/table.tsv", "w"))
tsv:write("key\tmethod\tbpw\tfile\tbytes\tppl\tkld\ttop1\tseconds\tcalib_tok_s\n")
print(string.format("base %s; perplexity on %d chunks of 512; calibration %d windows of 512 (%d tokens)",
  basePath, chunks, windows, calibTokens))
local header = "| method | bits/weight (projections) | file size | perplexity | KLD | top-1 | time |"
print(header)
print("|---|---:|---:|---:|---:|---:|---|")
local basePpl = w.lm.perplexity(base, eval, {ctx = 512, chunks = chunks}).ppl
print(string.format("| F32 base | 32 | %.1f MB | %.3f | | | |", fileBytes(basePath) / 1e6, basePpl))
tsv:write(string.format("base\tF32 base\t32\t%s\t%d\t%.4f\t\t\t\t\n", basePath, fileBytes(basePath), basePpl))

for _, m in ipairs(methods) do
  if only == nil or only[m.key] then
    local lm = w.lm.load(basePath)
    local t0 = w.now()
    m.run(lm)
    local seconds = w.now() - t0
    local path = outDir .. "/" .. m.file
    lm:save(path, m.save)
    local size = string.format("%.1f MB", fileBytes(path) / 1e6)
    local c = w.lm.compare(base, lm, eval, {ctx = 512, chunks = chunks, print = false})
    local rate = m.calibrated and calibTokens / seconds or nil
    print(string.format("| %s | %s | %s | %.3f | %.4f | %.1f%% | %.0f s%s |", m.label, m.bpw, size,
      c.ppl, c.kld, c.top1, seconds, rate and string.format(" (%.0f calibration tokens/s)", rate) or ""))
    tsv:write(string.format("%s\t%s\t%s\t%s\t%d\t%.4f\t%.5f\t%.4f\t%.1f\t%s\n", m.key, m.label, m.bpw, path, fileBytes(path),
      c.ppl, c.kld, c.top1 / 100, seconds, rate and string.format("%.1f", rate) or ""))
    tsv:flush()
    lm = nil
    collectgarbage()
  end
end
tsv:close()
