-- Deep Compression (Han, Mao & Dally 2016) on LeNet-5 (conv 20-50, fc 500-10): iterative
-- magnitude pruning with retraining (masks), k-means weight sharing (8-bit conv, 5-bit fc)
-- with fine-tuned centroids, and the Huffman-coded size. Paper: 39x, error 0.80% -> 0.74%.
-- Run from the repository root:  whittle run Scripts/recipes/deep_compression_lenet5.lua
local w = whittle
local t0 = w.now()
local d = w.data.mnist()
local base = w.load("Models/lenet5.safetensors")
local m = base:clone()
local function errors(x) return w.evaluate(x, d.test).errors end
local base_errors = errors(base)
print(string.format("baseline: %d test errors (%.2f%%)", base_errors, base_errors / 100))

-- 1. Prune to the paper's per-layer densities (conv1 66%, conv2 12%, fc1 8%, fc2 19% kept),
--    in steps, retraining after each with the baseline's recipe.
local final = {["0.weight"]=0.34, ["2.weight"]=0.88, ["5.weight"]=0.92, ["7.weight"]=0.81}
local steps = {0.6, 0.85, 1.0}
for i, f in ipairs(steps) do
  local per = {}
  for k, s in pairs(final) do per[k] = {sparsity = s * f} end
  w.prune.magnitude(m, {sparsity=0.5, overrides=per})
  w.train(m, d.train, {epochs=f < 1 and 1 or 5, lr=0.01, momentum=0.9, weight_decay=5e-4, batch=128,
                       schedule="cosine", verbose=false})
  print(string.format("prune step %d/%d (%.0f%% of the final sparsity): %d test errors  [%.0f s]", i, #steps, f * 100, errors(m), w.now() - t0))
end

-- 2. Share: 8-bit codebooks for the convolutions, 5-bit for the fully connected layers.
print(w.share.kmeans(m, d.train, {bits=5, overrides={["0.weight"]={bits=8}, ["2.weight"]={bits=8}},
                                  finetune={epochs=1, lr=1e-4, momentum=0.9, batch=128}}))
print(string.format("after sharing: %d test errors  [%.0f s]", errors(m), w.now() - t0))

-- 3. Size as stored and with Huffman coding; the saved file reloads to the same errors.
local r = w.report(m, {baseline=base, data=d.test})
local path = os.tmpname()
m:save(path)
local f = io.open(path, "rb"); local file_bytes = f:seek("end"); f:close()
local back = w.load(path)
os.remove(path)
print(string.format("saved file: %d bytes; reloaded model: %d test errors", file_bytes, errors(back)))
print()
print("| LeNet-5 | error before | error after | compression (stored) | compression (Huffman) |")
print("|---|---|---|---|---|")
print(string.format("| Whittle | %.2f%% | %.2f%% | %.1fx | %.1fx |", r.baseline_errors / 100, r.errors / 100, r.total.ratio, r.total.huffman_ratio))
print("| Han et al. 2016 | 0.80% | 0.74% | | 39x |")
print(string.format("target (>= 30x, error <= baseline + 0.15 points): %s   [total %.0f s]",
  (r.total.huffman_ratio >= 30 and r.errors <= r.baseline_errors + 15) and "met" or "NOT met", w.now() - t0))
