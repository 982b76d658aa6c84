-- Shared by the baseline recipes: train a model on MNIST, check its test error against
-- the target, save it, reload it and check the reloaded model makes the same errors.
-- Used as: require("baseline")(model, data, {out=, target_error=, train={...}})
local w = whittle

return function(m, d, opts)
  print(m)
  local t0 = w.now()
  local r = w.train(m, d.train, opts.train)
  local elapsed = w.now() - t0
  local e = w.evaluate(m, d.test)
  print(string.format("trained %d epochs in %.1f s (first epoch %.2f s, %.0f images/s)",
    #r.seconds, elapsed, r.seconds[1], r.images_per_second))
  print(string.format("test error %.2f%% (%d errors), loss %.4f", 100 * (1 - e.accuracy), e.errors, e.loss))
  assert(1 - e.accuracy <= opts.target_error,
    string.format("test error %.2f%% is above the %.1f%% target", 100 * (1 - e.accuracy), 100 * opts.target_error))

  m:save(opts.out)
  local back = w.load(opts.out)
  local e2 = w.evaluate(back, d.test)
  assert(e2.errors == e.errors, "the reloaded model disagrees: " .. e2.errors .. " vs " .. e.errors .. " errors")
  print("saved " .. opts.out .. "; reloaded: " .. e2.errors .. " errors, same as trained")
  m:summary()
  return e
end
