-- Trains the LeNet-300-100 baseline (784-300-100-10, ReLU) on MNIST and saves it to
-- Models/lenet300.safetensors (or the path given as the first argument).
-- Run from the repository root:  whittle run Scripts/recipes/train_lenet300.lua
local w = whittle
local out = arg and arg[1] or "Models/lenet300.safetensors"
local target_error = 0.018

w.seed(300)
local d = w.data.mnist()
local m = w.nn.sequential{
  w.nn.flatten(),
  w.nn.linear(784, 300), w.nn.relu(),
  w.nn.linear(300, 100), w.nn.relu(),
  w.nn.linear(100, 10),
}
print(m)

local t0 = w.now()
local r = w.train(m, d.train, {epochs=20, lr=0.1, momentum=0.9, weight_decay=1e-4, batch=128,
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
