/// Lua code run once per state after the bindings are installed: wires class
/// `__index` tables, publishes `whittle`, defines `help`, and applies the sandbox.
enum Prelude {
    static let code = #"""
local whittle, classes, mode = ...

-- obj.prop calls the property getter; obj:method() finds the method.
for _, c in pairs(classes) do
  local methods, props = c.methods, c.properties
  c.mt.__index = function(self, key)
    local m = methods[key]
    if m ~= nil then return m end
    local p = props[key]
    if p ~= nil then return p(self) end
    return nil
  end
end

-- Shapes are plain arrays that print like numpy's and compare by value.
local shape_mt = {}
shape_mt.__name = "whittle.Shape"
shape_mt.__tostring = function(s)
  local parts = {}
  for i = 1, #s do parts[i] = tostring(s[i]) end
  return "(" .. table.concat(parts, ", ") .. (#s == 1 and ",)" or ")")
end
shape_mt.__eq = function(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end
debug.getregistry()["whittle.Shape"] = shape_mt

-- Pass wrapper functions, so that help(whittle.prune.magnitude) documents the pass.
local pass_functions = setmetatable({}, { __mode = "k" })

local help_text = whittle.help
whittle.help = function(x)
  if pass_functions[x] then x = pass_functions[x] end
  local ok, text = pcall(help_text, x)
  if not ok then error(text, 2) end
  print(text)
end
help = whittle.help

-- A readable one-line rendering of any value, used by the REPL.
local function pretty(v, depth, seen)
  depth, seen = depth or 0, seen or {}
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" or getmetatable(v) ~= nil then return tostring(v) end
  if seen[v] then return "<cycle>" end
  if depth > 2 then return "{...}" end
  seen[v] = true
  local parts, n = {}, #v
  for i = 1, math.min(n, 41) do parts[#parts + 1] = pretty(v[i], depth + 1, seen) end  -- #v may be 2^50
  if n > 41 then parts[#parts + 1] = "..." end
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local key = (type(k) == "string" and k:match("^[%a_][%w_]*$")) and k or ("[" .. pretty(k, depth + 1, seen) .. "]")
    parts[#parts + 1] = key .. "=" .. pretty(v[k], depth + 1, seen)
    if #parts > 40 then parts[#parts + 1] = "..."; break end
  end
  seen[v] = nil
  return "{" .. table.concat(parts, ", ") .. "}"
end
whittle.pretty = pretty

-- Reports print as tables.
debug.getregistry()["whittle.Report"] = { __tostring = function(r) return r.text end, __name = "whittle.Report" }

-- Runs a pass and reports errors at the recipe's line (`level` above this function),
-- as "file:line: pass.name: message".
local run_pass = whittle.run_pass
local function run_pass_here(name, model, opts, level)
  local ok, result = pcall(run_pass, name, model, opts)
  if not ok then
    if type(result) == "string" then result = result:gsub("^run_pass: ", "", 1) end
    error(result, level)
  end
  return result
end

-- whittle.<pass name>(model, [data,] opts) for every registered pass, unless a binding
-- already has that name. A pass can also take one table: whittle.distill{student=, teacher=, ...}.
function whittle._define_pass_function(name)
  local node, parts = whittle, {}
  for part in name:gmatch("[^.]+") do parts[#parts + 1] = part end
  for i = 1, #parts - 1 do
    local t = rawget(node, parts[i])
    if t == nil then t = {}; rawset(node, parts[i], t) end
    if type(t) ~= "table" then return end
    node = t
  end
  local leaf = parts[#parts]
  if rawget(node, leaf) ~= nil then return end
  local wrapper
  wrapper = function(model, a, b)
    local opts
    if type(model) == "table" and getmetatable(model) == nil then
      opts = {}
      for k, v in pairs(model) do opts[k] = v end
      model = opts.model or opts.student
      opts.model, opts.student = nil, nil
    elseif type(a) == "userdata" then
      opts = {}
      for k, v in pairs(b or {}) do opts[k] = v end
      opts.data = a
    else
      opts = a
    end
    local report = run_pass_here(name, model, opts, 3)  -- not a tail call: level 3 must be the caller
    return report
  end
  pass_functions[wrapper] = name
  rawset(node, leaf, wrapper)
end
for _, p in ipairs(whittle.passes()) do whittle._define_pass_function(p.name) end

-- whittle.pipeline{ {"prune.magnitude", {sparsity=0.9}}, ... }:run(model) -> reports
local Pipeline = {}
Pipeline.__index = Pipeline
Pipeline.__name = "whittle.Pipeline"
function Pipeline:run(model)
  local reports = {}
  for i, step in ipairs(self.steps) do
    reports[i] = run_pass_here(step[1], model, step[2], 3)
  end
  return setmetatable(reports, { __tostring = function(r)
    local lines = {}
    for i = 1, #r do lines[i] = tostring(r[i]) end
    return table.concat(lines, "\n")
  end })
end
Pipeline.__tostring = function(p)
  local names = {}
  for i, s in ipairs(p.steps) do names[i] = s[1] end
  return "pipeline(" .. table.concat(names, " -> ") .. ")"
end
function whittle.pipeline(steps)
  if type(steps) ~= "table" then error("pipeline: 'steps' must be a table of {name, opts}", 2) end
  for i, s in ipairs(steps) do
    if type(s) ~= "table" or type(s[1]) ~= "string" then
      error("pipeline: step " .. i .. " must be {\"pass.name\", {options}}", 2)
    end
    if s[2] ~= nil and type(s[2]) ~= "table" then
      error("pipeline: step " .. i .. " options must be a table", 2)
    end
  end
  return setmetatable({ steps = steps }, Pipeline)
end

_G.whittle = whittle
package.loaded.whittle = whittle

if mode == "sandbox" then
  local check = whittle._check_write
  local function refuse(what)
    return function() error("sandbox: " .. what .. " is disabled (--sandbox)", 2) end
  end
  os.execute = refuse("os.execute")
  os.exit = refuse("os.exit")
  os.tmpname = refuse("os.tmpname")
  io.popen = refuse("io.popen")
  package.loadlib = refuse("package.loadlib")
  package.cpath = ""
  -- Keep the preload and Lua-file searchers; C searchers would load native code.
  package.searchers[3] = function(name) return "\n\tsandbox: C modules are disabled (--sandbox)" end
  package.searchers[4] = nil
  -- Writes are judged by where they land (links resolved), then opened with O_NOFOLLOW.
  local open, output, remove, rename = io.open, io.output, os.remove, os.rename
  local open_nofollow, check_entry = whittle._open_nofollow, whittle._check_entry
  local function checked(fn, path)
    if type(path) ~= "string" then return path end
    local ok, real = pcall(fn, path)
    if not ok then error((tostring(real):gsub("^[^\n]-_check_%a+: ", "", 1)), 3) end
    return real
  end
  io.open = function(path, fmode, ...)
    if type(fmode) == "string" and fmode:find("[wa+]") then
      return open_nofollow(checked(check, path), fmode)
    end
    return open(path, fmode, ...)
  end
  io.output = function(f, ...)
    if type(f) == "string" then
      local handle, err = open_nofollow(checked(check, f), "w")
      if not handle then error(err, 2) end
      return output(handle)
    end
    return output(f, ...)
  end
  os.remove = function(path) return remove(checked(check_entry, path)) end
  os.rename = function(a, b) return rename(checked(check_entry, a), checked(check_entry, b)) end
  local load_ = load
  load = function(chunk, name, lmode, env) return load_(chunk, name, "t", env) end
  dofile = dofile  -- reads only
  debug = { traceback = debug.traceback }
  package.loaded.debug = debug
end
whittle._check_write = nil
whittle._check_entry = nil
whittle._open_nofollow = nil
"""#
}
