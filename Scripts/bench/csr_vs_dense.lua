-- LeNet-300-100 forward time, dense f32 vs CSR-encoded weights, after magnitude pruning at
-- several sparsities (batch 1 and 500). Run from the repository root:
--   whittle run Scripts/bench/csr_vs_dense.lua
local w = whittle
local d = w.data.mnist()
local test = d.test:take(500)
local x1 = nil
for x, y in test:batches(1) do x1 = x break end
local x500 = nil
for x, y in test:batches(500) do x500 = x break end
local function bench(m, x, reps)
  m:forward(x)
  local t = w.now()
  for i = 1, reps do m:forward(x) end
  return (w.now() - t) / reps * 1e3
end
for _, s in ipairs({0.5, 0.7, 0.8, 0.9, 0.95}) do
  local m = w.load("Models/lenet300.safetensors")
  w.prune.magnitude(m, {sparsity = s})
  local d1, d500 = bench(m, x1, 200), bench(m, x500, 20)
  w.run_pass("prune.csr", m, {min_sparsity = 0})
  local s1, s500 = bench(m, x1, 200), bench(m, x500, 20)
  print(string.format("sparsity %.2f  batch1 dense %.3f ms csr %.3f ms | batch500 dense %.2f ms csr %.2f ms", s, d1, s1, d500, s500))
end
