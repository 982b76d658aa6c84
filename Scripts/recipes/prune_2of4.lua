-- 2:4 semi-structured sparsity on LeNet-300-100 with fine-tuning (target: within 0.3 points of the baseline).
-- Run: whittle run Scripts/recipes/prune_2of4.lua
local w = whittle
local d = w.data.mnist()
local base = w.load("Models/lenet300.safetensors")
local m = base:clone()
local t0 = w.now()
local b = w.evaluate(base, d.test)

local report = w.prune.nm(m, {n = 2, m = 4})
print(report)
local pruned = w.evaluate(m, d.test)

-- Masks keep the pattern exact while the kept weights recover the accuracy.
w.train(m, d.train, {epochs = 3, lr = 0.01, momentum = 0.9, batch = 64, seed = 1})
local tuned = w.evaluate(m, d.test)

local function row(name, e, sparsity)
  print(string.format("%-22s %8.2f%% %8d %10.1f%%", name, e.accuracy * 100, e.errors, sparsity * 100))
end
local function sparsity(model)
  local zeros, total = 0, 0
  for name, t in pairs(model:parameters()) do
    if name:match("weight$") then zeros = zeros + t:sparsity() * t:numel(); total = total + t:numel() end
  end
  return zeros / total
end
print(string.format("%-22s %9s %8s %11s", "model", "accuracy", "errors", "sparsity"))
row("baseline", b, sparsity(base))
row("2:4 pruned", pruned, sparsity(m))
row("2:4 + fine-tuned", tuned, sparsity(m))
print(string.format("change vs baseline: %+.2f points (target >= -0.30)   time %.0f s",
  (tuned.accuracy - b.accuracy) * 100, w.now() - t0))
