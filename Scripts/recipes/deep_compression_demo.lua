-- The README's main command: Deep Compression (prune + k-means share + Huffman) on the bundled
-- LeNet-300-100, printing the before/after table. The full recipe already fits in the demo's
-- two-minute budget (about a minute here), so the demo runs it as is.
-- Run from the repository root:  whittle run Scripts/recipes/deep_compression_demo.lua
dofile("Scripts/recipes/deep_compression_lenet300.lua")
