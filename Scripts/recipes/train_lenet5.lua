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
require("baseline")(m, d, {out = out, target_error = target_error,
  train = {epochs=12, lr=0.05, momentum=0.9, weight_decay=5e-4, batch=128, schedule="cosine", seed=1}})
