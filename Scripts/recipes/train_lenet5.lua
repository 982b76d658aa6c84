-- Trains the LeNet-5 baseline (Caffe variant: conv 20@5x5, pool 2, conv 50@5x5, pool 2,
-- fc 500, ReLU, fc 10) on MNIST and saves it to Models/lenet5.safetensors (or arg[1]).
-- Run from the repository root:  whittle run Scripts/recipes/train_lenet5.lua
local w = whittle
local out = arg and arg[1] or "Models/lenet5.safetensors"
local target_error = 0.010

w.seed(5)
local d = w.data.mnist()
local m = w.nn.sequential{
  w.nn.conv2d(1, 20, 5), w.nn.maxpool2d(2),
  w.nn.conv2d(20, 50, 5), w.nn.maxpool2d(2),
  w.nn.flatten(),
  w.nn.linear(800, 500), w.nn.relu(),
  w.nn.linear(500, 10),
}
print(m)

local t0 = w.now()
local r = w.train(m, d.train, {epochs=12, lr=0.05, momentum=0.9, weight_decay=5e-4, batch=128,
                               schedule="cosine", seed=1})
local elapsed = w.now() - t0
local e = w.evaluate(m, d.test)
print(string.format("trained %d epochs in %.1f s (first epoch %.2f s, %.0f images/s)",
  #r.seconds, elapsed, r.seconds[1], r.images_per_second))
print(string.format("test error %.2f%% (%d errors), loss %.4f", 100 * (1 - e.accuracy), e.errors, e.loss))
assert(1 - e.accuracy <= target_error,
  string.format("test error %.2f%% is above the %.1f%% target", 100 * (1 - e.accuracy), 100 * target_error))

m:save(out)
local back = w.load(out)
local e2 = w.evaluate(back, d.test)
assert(e2.errors == e.errors, "the reloaded model disagrees: " .. e2.errors .. " vs " .. e.errors .. " errors")
print("saved " .. out .. "; reloaded: " .. e2.errors .. " errors, same as trained")
m:summary()
