-- The README's main command: Deep Compression on the bundled LeNet-300-100 in under two
-- minutes (fewer retraining epochs than Scripts/recipes/deep_compression_lenet300.lua),
-- printing the before/after table.
-- Run from the repository root:  whittle run Scripts/recipes/deep_compression_demo.lua
DEEP_COMPRESSION_QUICK = true
dofile("Scripts/recipes/deep_compression_lenet300.lua")
