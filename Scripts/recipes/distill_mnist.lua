-- Knowledge distillation on MNIST (Hinton, Vinyals & Dean 2015, section 3), scaled to fit
-- in under 10 minutes on two cores: a 784-1200-1200-10 teacher with dropout (0.3, 10 epochs), and a
-- 784-400-400-10 student trained (a) on the labels alone and (b) distilled from the
-- teacher with (1 - alpha)·CE + alpha·T²·KL at temperature T. Same initialisation, data,
-- epochs and learning rate for both students; the distilled one should make fewer test errors.
-- Run from the repository root:  whittle run Scripts/recipes/distill_mnist.lua
local w = whittle
local T, alpha = 8, 0.9
local teacher_epochs, student_epochs = 10, 4
local t0 = w.now()

local d = w.data.mnist()
w.seed(1)
local teacher = w.nn.sequential{
  w.nn.flatten(),
  w.nn.linear(784, 1200), w.nn.relu(), w.nn.dropout(0.3),
  w.nn.linear(1200, 1200), w.nn.relu(), w.nn.dropout(0.3),
  w.nn.linear(1200, 10),
}
w.seed(2)
local student0 = w.nn.sequential{
  w.nn.flatten(),
  w.nn.linear(784, 400), w.nn.relu(),
  w.nn.linear(400, 400), w.nn.relu(),
  w.nn.linear(400, 10),
}
local opts = {lr=0.05, momentum=0.9, batch=128, schedule="cosine", verbose=false}

local function fit(m, epochs, lr)
  local o = {epochs=epochs}
  for k, v in pairs(opts) do o[k] = v end
  o.lr = lr or o.lr
  w.train(m, d.train, o)
end

fit(teacher, teacher_epochs, 0.1)
local te = w.evaluate(teacher, d.test)
print(string.format("teacher  784-1200-1200-10 (dropout): %d test errors  (%.0f s)", te.errors, w.now() - t0))

local alone = student0:clone()
fit(alone, student_epochs)
local ae = w.evaluate(alone, d.test)
print(string.format("student  784-400-400-10 alone:       %d test errors  (%.0f s)", ae.errors, w.now() - t0))

local distilled = student0:clone()
w.distill{student=distilled, teacher=teacher, data=d.train, temperature=T, alpha=alpha,
          epochs=student_epochs, lr=opts.lr, momentum=opts.momentum, batch=opts.batch, schedule=opts.schedule}
local de = w.evaluate(distilled, d.test)
print(string.format("student  784-400-400-10 distilled:   %d test errors  (%.0f s)", de.errors, w.now() - t0))

print()
print(string.format("| model | test errors | Hinton et al. |"))
print(string.format("|---|---|---|"))
print(string.format("| teacher 784-1200-1200-10, dropout | %d | 67 |", te.errors))
print(string.format("| student alone | %d | 146 |", ae.errors))
print(string.format("| student distilled (T=%g, alpha=%g) | %d | 74 |", T, alpha, de.errors))
print(string.format("total %.0f s", w.now() - t0))
assert(de.errors < ae.errors, "the distilled student should make fewer errors than the student trained alone")
