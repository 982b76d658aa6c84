-- Whittle demo: tensors, the f32 kernel and timing, from a Lua recipe.
-- Run: .build/release/whittle run Scripts/recipes/demo.lua [size]
local w = require("whittle")
local n = tonumber(arg and arg[1]) or 512

print(string.format("Whittle demo (threads: %d)", w.threads()))
local a = w.tensor{{1, 2}, {3, 4}}
print("a =", a)
print("a:matmul(a) =", a:matmul(a))

local x = w.randn({n, n}, {seed = 1})
local y = w.randn({n, n}, {seed = 2})
local t0 = w.now()
local z = x:matmul(y)
local dt = w.now() - t0
print(string.format("%dx%d f32 matmul: %.3f s, %.1f GFLOPS", n, n, dt, 2 * n * n * n / dt / 1e9))

-- Magnitude pruning by hand: zero the 90% smallest weights of a random layer.
local wgt = w.randn({300, 784}, {seed = 3})
local mags = wgt:abs():reshape{-1}:totable()
table.sort(mags)
local threshold = mags[math.floor(#mags * 0.9)]
local mask = wgt:abs() - threshold
local pruned = wgt:clone()
for i = 1, 300 do
  for j = 1, 784 do
    if mask:get(i, j) <= 0 then pruned:set(i, j, 0) end
  end
end
print(string.format("pruned a 300x784 layer to %.1f%% sparsity (norm %.1f -> %.1f)",
  100 * pruned:sparsity(), wgt:norm(), pruned:norm()))
