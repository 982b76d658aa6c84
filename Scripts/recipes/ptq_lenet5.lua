-- Post-training quantization and QAT of the bundled LeNet-5 (Caffe variant) on MNIST.
-- Targets: int8 per-channel PTQ within 0.1 points of f32; Q4_0 and int4 group-32 within
-- 0.5 points; QAT int4 recovering at least half of the PTQ int4 loss. Every quantized model is
-- evaluated with the quantized kernels, saved, reloaded and checked to give the same errors.
-- Run from the repository root:  whittle run Scripts/recipes/ptq_lenet5.lua
local w = whittle
local d = w.data.mnist()
local base = w.load("Models/lenet5.safetensors")
local calib = d.train:take(2000)
local tmp = os.tmpname()

local function file_bytes(m)
  m:save(tmp)
  local f = assert(io.open(tmp, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

local rows = {}
local function measure(name, m, seconds)
  local e = w.evaluate(m, d.test)
  local bytes = file_bytes(m)
  local back = w.load(tmp)
  local e2 = w.evaluate(back, d.test)
  assert(e2.errors == e.errors, name .. ": the reloaded model disagrees (" .. e2.errors .. " vs " .. e.errors .. " errors)")
  rows[#rows + 1] = {name = name, acc = e.accuracy, errors = e.errors, bytes = bytes, seconds = seconds or 0}
  return e.accuracy
end

local function timed(f)
  local t0 = w.now()
  local m = f()
  return m, w.now() - t0
end

local f32 = measure("f32 baseline", base)

local int8, t = timed(function()
  local m = base:clone()
  w.quantize.ptq(m, {bits=8, per_channel=true, symmetric=true, calibration=calib, observer="minmax"})
  return m
end)
local a_int8 = measure("int8 PTQ per-channel, static acts", int8, t)

local int8bc, t = timed(function()
  local m = base:clone()
  w.quantize.ptq(m, {calibration=calib, observer="percentile", bias_correction=true})
  return m
end)
measure("int8 PTQ percentile + bias corr.", int8bc, t)

local q8, t = timed(function() local m = base:clone(); w.quantize.weights(m, {format="q8_0"}); return m end)
measure("Q8_0 weights", q8, t)

local q4, t = timed(function() local m = base:clone(); w.quantize.weights(m, {format="q4_0"}); return m end)
local a_q4 = measure("Q4_0 weights", q4, t)

local i4, t = timed(function() local m = base:clone(); w.quantize.weights(m, {format="int4", group=32}); return m end)
local a_i4 = measure("int4 group-32 weights (PTQ)", i4, t)

local qat, t = timed(function()
  local m = base:clone()
  w.quantize.qat(m, d.train, {bits=4, group=32, epochs=1, lr=2e-5, optimizer="adam", batch=64, seed=1})
  return m
end)
local a_qat = measure("int4 group-32 QAT (1 epoch)", qat, t)
os.remove(tmp)

local f32_bytes = rows[1].bytes
print(string.format("\n%-36s %9s %7s %9s %7s %8s", "model", "accuracy", "errors", "bytes", "ratio", "seconds"))
for _, r in ipairs(rows) do
  print(string.format("%-36s %8.2f%% %7d %9d %6.2fx %8.1f", r.name, 100 * r.acc, r.errors, r.bytes, f32_bytes / r.bytes, r.seconds))
end

local function pts(a) return 100 * (f32 - a) end
print(string.format("\nint8 PTQ loss %.2f points (target <= 0.10); Q4_0 %.2f, int4 %.2f (targets <= 0.50)",
  pts(a_int8), pts(a_q4), pts(a_i4)))
local ptq_loss, qat_loss = pts(a_i4), pts(a_qat)
print(string.format("int4: PTQ loss %.2f points, QAT loss %.2f points", ptq_loss, qat_loss))
assert(pts(a_int8) <= 0.10, "int8 PTQ lost more than 0.1 points")
assert(pts(a_q4) <= 0.50, "Q4_0 lost more than 0.5 points")
assert(pts(a_i4) <= 0.50, "int4 group-32 lost more than 0.5 points")
assert(ptq_loss <= 0 or qat_loss <= ptq_loss / 2,
  "QAT int4 recovered less than half of the PTQ int4 loss")
