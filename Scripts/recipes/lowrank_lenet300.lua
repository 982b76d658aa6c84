-- Low-rank SVD of LeNet-300-100's fc1 (784 -> 300) to half its weights, fine-tuned
-- (target: within 0.3 points of the baseline). Run: whittle run Scripts/recipes/lowrank_lenet300.lua
local w = whittle
local d = w.data.mnist()
local base = w.load("Models/lenet300.safetensors")
local m = base:clone()
local t0 = w.now()
local b = w.evaluate(base, d.test)

-- fc1 is the first weight of the model: find its name instead of assuming the layer index.
local fc1
for _, name in ipairs({"1.weight", "0.weight", "fc1.weight"}) do
  if m:param(name) then fc1 = name; break end
end
local count = function(model)
  local n = 0
  for _, t in pairs(model:parameters()) do n = n + t:numel() end
  return n
end
local report = w.lowrank.svd(m, {params = 0.5, targets = fc1})
print(report)
local factored = w.evaluate(m, d.test)
w.train(m, d.train, {epochs = 2, lr = 0.002, momentum = 0.9, batch = 64, seed = 1})
local tuned = w.evaluate(m, d.test)

print(string.format("%-24s %9s %8s %10s", "model", "accuracy", "errors", "params"))
print(string.format("%-24s %8.2f%% %8d %10d", "baseline", b.accuracy * 100, b.errors, count(base)))
print(string.format("%-24s %8.2f%% %8d %10d", "fc1 SVD (half weights)", factored.accuracy * 100, factored.errors, count(m)))
print(string.format("%-24s %8.2f%% %8d %10d", "SVD + fine-tuned", tuned.accuracy * 100, tuned.errors, count(m)))
print(string.format("change vs baseline: %+.2f points (target >= -0.30)   time %.0f s",
  (tuned.accuracy - b.accuracy) * 100, w.now() - t0))
