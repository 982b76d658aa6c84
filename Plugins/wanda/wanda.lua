-- Whittle Lua plugin: Wanda-style activation-aware pruning (Sun, Liu, Bair &
-- Kolter 2023, "A Simple and Effective Pruning Approach for Large Language
-- Models"). A weight's importance is |W_ij| * ||X_j||: its magnitude times the
-- L2 norm of its input feature j over calibration samples. Each output row
-- loses its lowest-scoring fraction of weights; no retraining, no gradients.
-- Plain magnitude pruning is the special case where every ||X_j|| is equal, so
-- Wanda keeps the small weights that see large activations and drops the large
-- weights on inputs that are almost always zero (MNIST's border pixels).
--
-- Load:  whittle run --plugin Plugins/wanda/wanda.lua recipe.lua
--        or whittle.load_plugin("Plugins/wanda/wanda.lua") in a recipe
-- Use:   whittle.prune.wanda_lua(model, calibration_data, {sparsity = 0.5})
-- (The built-in prune.wanda is the same rule for language models, block by block.)
local w = whittle

w.register_pass{
  name = "prune.wanda_lua",
  doc = "Activation-aware pruning (Wanda): per output row, removes the weights with the smallest |W| x ||X_j|| on calibration data.",
  params = {
    {name = "data", type = "dataset", doc = "Calibration data: its images are run through the model to measure each linear layer's input norms."},
    {name = "sparsity", type = "number", default = 0.5, min = 0, max = 1, max_exclusive = true,
     doc = "Fraction of each output row's weights to remove."},
    {name = "samples", type = "integer", default = 128, min = 1, max = 100000, doc = "Calibration samples taken from data."},
  },
  apply = function(model, opts, ctx)
    local layers = ctx:layers()
    -- Only linear weights have one input feature per column; check before changing anything.
    local linear = {}
    for _, l in ipairs(layers) do
      if l.type == "linear" then linear[l.params.weight] = true end
    end
    local selected = {}
    for _, name in ipairs(ctx:targets("*.weight")) do
      if not linear[name] then error(name .. " is not the weight of a linear layer (Wanda scores linear weights)", 0) end
      selected[name] = true
    end

    local x = opts.data:take(opts.samples).images
    local n = x.shape[1]
    local pruned = 0
    for _, l in ipairs(layers) do
      local name = l.params.weight
      if name and selected[name] then
        -- ||X_j|| for every input feature j: column norms of the (n x in) input batch.
        local norms = w.ones{1, n}:matmul(x * x):sqrt():totable()[1]
        local W = model:param(name)
        local rows, out, inp = W:totable(), W.shape[1], W.shape[2]
        local k = math.floor(ctx:options(name).sparsity * inp + 0.5)
        local order, score = {}, {}
        for i = 1, out do
          local row = rows[i]
          for j = 1, inp do
            score[j] = math.abs(row[j]) * norms[j]
            order[j] = j
          end
          table.sort(order, function(a, b) return score[a] < score[b] end)
          for r = 1, k do
            local j = order[r]
            if row[j] ~= 0 then W:set(i, j, 0) end
          end
        end
        pruned = pruned + k * out
        ctx:report(name, {sparsity = W:sparsity(), removed_per_row = k, samples = n})
      end
      x = l.layer:forward(x)
    end
    return {summary = {pruned = pruned}}
  end,
}
