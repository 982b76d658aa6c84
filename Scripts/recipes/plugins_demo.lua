-- The three example plugins -- Lua (Wanda pruning), Swift (ternary weights) and
-- C (outlier clipping) -- in one pipeline with built-in passes, on LeNet-300-100.
--
-- Run from the repository root after `swift build -c release` (which also
-- builds the Swift plugin, libWhittleTernary):
--   .build/release/whittle run Scripts/recipes/plugins_demo.lua [path/to/libWhittleTernary.so]
-- The C plugin is built with `make -C Plugins/clip` when it is missing.
local w = whittle

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end
local function first_existing(paths)
  for _, p in ipairs(paths) do if exists(p) then return p end end
end

-- 1. Load the plugins (each load is a no-op when --plugin or ./Plugins discovery already did it).
local clip = first_existing{"Plugins/clip/libwhittle_clip.so", "Plugins/clip/libwhittle_clip.dylib"}
if not clip then
  assert(os.execute("make -s -C Plugins/clip"), "building Plugins/clip failed (needs cc and make)")
  clip = assert(first_existing{"Plugins/clip/libwhittle_clip.so", "Plugins/clip/libwhittle_clip.dylib"})
end
local ternary = (...) or os.getenv("WHITTLE_TERNARY") or first_existing{
  ".build/release/libWhittleTernary.so", ".build/release/libWhittleTernary.dylib",
  ".build/debug/libWhittleTernary.so", ".build/debug/libWhittleTernary.dylib",
}
assert(ternary, "libWhittleTernary not found: run `swift build -c release` or pass its path as the first argument")
w.load_plugin("Plugins/wanda/wanda.lua")
w.load_plugin(clip)
w.load_plugin(ternary)

local available = {}
print("passes:")
for _, p in ipairs(w.passes()) do
  available[p.name] = true
  print(string.format("  %-18s %s", p.name, p.source))
end

-- 2. Baseline.
local mnist = w.data.mnist()
local m = w.load("Models/lenet300.safetensors")
local base = w.evaluate(m, mnist.test)
print(string.format("\nbaseline: %.2f%% test accuracy", 100 * base.accuracy))

-- 3. One pipeline: plugin passes and built-in ones, in the order a deployment would apply them.
local steps = {
  -- Lua plugin: activation-aware pruning of the two big layers from 256 calibration images.
  {"prune.wanda_lua", {data = mnist.train:take(256), samples = 256, sparsity = 0.5, targets = {"1.weight", "3.weight"}}},
}
if available["prune.magnitude"] then
  -- Built-in: magnitude pruning of the small output layer.
  steps[#steps + 1] = {"prune.magnitude", {sparsity = 0.3, targets = "5.weight"}}
end
-- C plugin: clip every weight tensor to mean +- 4 std.
steps[#steps + 1] = {"clip.outliers", {k = 4}}
-- Swift plugin: ternary weights, one scale per output neuron, for the middle layer.
steps[#steps + 1] = {"quantize.ternary", {targets = "3.weight", per_channel = true}}
if available["quantize.weights"] then
  -- Built-in: Q8_0 blocks for the first layer.
  steps[#steps + 1] = {"quantize.weights", {format = "q8_0", targets = "1.weight"}}
end

local pipeline = w.pipeline(steps)
print("\n" .. tostring(pipeline))
local t0 = w.now()
local reports = pipeline:run(m)
local seconds = w.now() - t0
print(reports)

-- 4. Result.
local after = w.evaluate(m, mnist.test)
print(string.format("\nafter the pipeline (%.2f s): %.2f%% test accuracy (baseline %.2f%%)",
  seconds, 100 * after.accuracy, 100 * base.accuracy))
for _, name in ipairs{"1.weight", "3.weight", "5.weight"} do
  local t = m:param(name)
  print(string.format("  %-9s sparsity %.3f", name, t:sparsity()))
end
