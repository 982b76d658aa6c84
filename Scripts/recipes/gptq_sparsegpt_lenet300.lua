-- GPTQ vs round-to-nearest (Q4_0) and SparseGPT vs magnitude pruning (70%) on the bundled LeNet-300-100,
-- calibrated on 2048 training images; prints test accuracy of each.
-- Run: whittle run Scripts/recipes/gptq_sparsegpt_lenet300.lua
local w = whittle
local d = w.data.mnist()
local base = w.load("Models/lenet300.safetensors")
local calib = d.train:take(2048)
local function acc(m) return w.evaluate(m, d.test).accuracy end
local rtn = base:clone(); w.quantize.weights(rtn, {format="q4_0"})
local g = base:clone(); local t0 = w.now(); w.quantize.gptq(g, calib, {format="q4_0"}); local tg = w.now() - t0
local mag = base:clone(); w.prune.magnitude(mag, {sparsity=0.7})
local sg = base:clone(); w.prune.sparsegpt(sg, calib, {sparsity=0.7})
print(string.format("base %.4f  rtn q4_0 %.4f  gptq q4_0 %.4f (%.1fs)  magnitude70 %.4f  sparsegpt70 %.4f", acc(base), acc(rtn), acc(g), tg, acc(mag), acc(sg)))
