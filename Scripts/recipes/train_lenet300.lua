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
require("baseline")(m, d, {out = out, target_error = target_error,
  train = {epochs=20, lr=0.1, momentum=0.9, weight_decay=1e-4, batch=128, schedule="cosine", seed=1}})
