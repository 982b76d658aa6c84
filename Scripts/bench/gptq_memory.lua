-- GPTQ memory and time probe on the random-weight 1B bf16 checkpoint (Scripts/bench/make_random_checkpoint.py):
-- GPTQ into Q4_0 with WINDOWS calibration windows of CTX tokens, over the first BLOCKS blocks
-- (the memory of a run does not grow from block to block; the log prints RSS per block).
--   /usr/bin/time -v whittle run Scripts/bench/gptq_memory.lua [DIR] [WINDOWS=128] [CTX=512] [BLOCKS=2]
-- The checkpoint has no tokenizer: the windows are seeded random token ids.
local w = whittle
local dir = arg[1] or (os.getenv("HOME") .. "/.cache/whittle/models/random-llama-1b-bf16")
local windows, ctx, blocks = tonumber(arg[2]) or 128, tonumber(arg[3]) or 512, tonumber(arg[4]) or 2
local lm = w.lm.load(dir)
local vocab = lm.config.vocab
local ids, s = {}, 1
for i = 1, (windows + 1) * ctx do s = (s * 1103515245 + 12345) % 2147483648; ids[i] = s % vocab end
local t0 = w.now()
w.lm.gptq(lm, ids, {format = "q4_0", ctx = ctx, windows = windows, blocks = blocks})
local seconds = w.now() - t0
print(string.format("gptq probe: %d windows x %d tokens, %d blocks in %.0f s (%.0f s and %.0f calibration tokens/s per block)",
                    windows, ctx, blocks, seconds, seconds / blocks, windows * ctx * blocks / seconds))
