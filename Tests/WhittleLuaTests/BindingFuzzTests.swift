import Foundation
import WhittleKernels
import WhittleLua
import WhittlePasses
import WhittleTensor
import XCTest

/// Calls every function reachable from `whittle` and every method, property and
/// metamethod of every object type with generated bad arguments. Each call must
/// return or raise a Lua error (a Swift trap would kill the test process), and
/// once the state is closed no tensor may be left alive. The functions are found
/// by walking the live tables and the binding tables, so bindings added later are
/// fuzzed without touching this file. WHITTLE_FUZZ_ITERATIONS runs more random calls.
final class BindingFuzzTests: XCTestCase {
    func testEveryBindingSurvivesBadArguments() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let savedDirectory = FileManager.default.currentDirectoryPath
        let savedLimit = MemoryBudget.limit, savedThreads = KernelThreads.count
        FileManager.default.changeCurrentDirectoryPath(dir)
        defer {
            FileManager.default.changeCurrentDirectoryPath(savedDirectory)
            try? FileManager.default.removeItem(atPath: dir)
            MemoryBudget.limit = savedLimit
            KernelThreads.count = savedThreads
        }
        // Valid-looking but huge sizes must fail fast on the budget instead of computing.
        MemoryBudget.limit = MemoryBudget.used + 600_000_000
        let liveBefore = Tensor.liveCount.load(ordering: .relaxed)
        let usedBefore = MemoryBudget.used

        var summary: [String] = []
        do {
            let lua = try LuaState(sandbox: true)
            lua.passContext = PassContext(log: { _ in })
            try lua.run(Self.members(), name: "=fuzz.members")
            try lua.run(Self.fixtures(), name: "=fuzz.fixtures")
            let out = try lua.run(Self.harness, name: "=fuzz")
            summary = out
            _ = try lua.run("collectgarbage(); collectgarbage()")
        }
        XCTAssertEqual(summary.count, 3, "\(summary)")
        let stats = summary.first ?? ""
        print("binding fuzz: \(stats)")
        // Every object type declared in the binding tables was met, so its methods were called.
        let missing = summary.count > 1 ? summary[1] : "?"
        XCTAssertEqual(missing, "", "no sample object of these classes: add a way to make one to the seed code")
        // Each function was reached (a name listed here was never called with arguments).
        XCTAssertEqual(summary.count > 2 ? summary[2] : "?", "")
        XCTAssertEqual(Tensor.liveCount.load(ordering: .relaxed), liveBefore, "tensors leaked by the fuzzed calls")
        XCTAssertEqual(MemoryBudget.used, usedBefore, "budget charges leaked by the fuzzed calls")
    }

    /// Committed files the seed code opens (models and GGUF files for the object types that need one).
    static func fixtures(file: String = #filePath) -> String {
        let tests = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        let lm = tests.appendingPathComponent("WhittleNNTests/Fixtures/lm")
        return """
            fuzz_fixtures = {
              lm = { "\(lm.appendingPathComponent("llama").path)", "\(lm.appendingPathComponent("qwen3").path)",
                     "\(lm.appendingPathComponent("bert").path)" },
              gguf = "\(tests.appendingPathComponent("WhittleFormatsTests/Fixtures/gguf_all_types.gguf").path)",
            }
            """
    }

    /// `fuzz_members[class] = {methods=, properties=, metamethods=}` from the binding tables.
    static func members() -> String {
        var lines = ["fuzz_members = {}"]
        for (cls, m) in WhittleLibrary.classMembers.sorted(by: { $0.key < $1.key }) {
            func list(_ names: [String]) -> String { "{" + names.map { "\"\($0)\"" }.joined(separator: ", ") + "}" }
            lines.append("fuzz_members[\"\(cls)\"] = {methods = \(list(m.methods)), properties = \(list(m.properties)), metamethods = \(list(m.metamethods))}")
        }
        // Option names from the signatures ("{seed=, low=0}") become keys of generated option tables.
        var keys = Set<String>()
        for (_, signature) in WhittleLibrary.signatures {
            var rest = Substring(signature)
            while let eq = rest.firstIndex(of: "=") {
                let name = rest[..<eq].reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if !name.isEmpty { keys.insert(String(name.reversed())) }
                rest = rest[rest.index(after: eq)...]
            }
        }
        lines.append("fuzz_keys = {" + keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ") + "}")
        return lines.joined(separator: "\n")
    }

    static var harness: String {
        let seed = Int(ProcessInfo.processInfo.environment["WHITTLE_FUZZ_SEED"] ?? "") ?? 20261127
        let iterations = Int(ProcessInfo.processInfo.environment["WHITTLE_FUZZ_ITERATIONS"] ?? "") ?? 1500
        // A tiny random-weight Llama from the transformer tests' fixtures (read-only, outside the sandbox dir).
        let lm = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WhittleNNTests/Fixtures/lm/llama").path
        return "local SEED, ITERATIONS = \(seed), \(iterations)\nLM_FIXTURE = \"\(lm)\"\n" + harnessBody
    }

    static let harnessBody = #"""
local w = whittle
print = function() end                       -- help() and reports print; keep the log readable

-- xorshift64: the same calls for the same seed.
local state = SEED
local function rand(n)
  state = state ~ (state << 13); state = state ~ (state >> 7); state = state ~ (state << 17)
  return (state % n + n) % n + 1
end
local function pick(list) return list[rand(#list)] end

-- Objects met so far, by class name (userdata of our classes, and Lua objects with a __name).
local samples, dead = {}, {}
local function classOf(v)
  local mt = getmetatable(v)
  if type(mt) ~= "table" then return nil end
  local name = rawget(mt, "__name")
  if type(name) ~= "string" or not name:match("^whittle%.") then return nil end
  return name:sub(9)
end
local function harvest(v)
  local cls = classOf(v)
  if cls == nil or cls == "Shape" then return end
  -- Keep samples small (whole MNIST would make every valid call slow).
  local ok, size = pcall(function()
    if cls == "Dataset" then return #v elseif cls == "Tensor" then return v:numel() / 1000 end
    return 0
  end)
  if not ok or size > 64 then return end
  local list = samples[cls] or {}
  samples[cls] = list
  if #list < 6 then list[#list + 1] = v
  elseif type(v) == "userdata" and #dead < 24 and rand(3) == 1 then
    local gc = getmetatable(v).__gc
    if gc then gc(v); dead[#dead + 1] = v end   -- an object whose Swift side is gone
  else list[rand(#list)] = v end
end

-- Seed objects: one of each kind a recipe makes, small so that valid calls stay fast.
local mnist = w.data.mnist()
local small = mnist.train:take(16)
harvest(small); harvest(mnist.test:take(4))
harvest(small:batches(4))
local mlp = w.nn.sequential{ w.nn.flatten(), w.nn.linear(784, 8), w.nn.relu(), w.nn.linear(8, 10) }
harvest(mlp); harvest(w.nn.linear(3, 2)); harvest(w.nn.conv2d(1, 2, 3))
local cnn = w.nn.sequential{ w.nn.conv2d(1, 2, 3), w.nn.maxpool2d(2), w.nn.flatten(), w.nn.linear(338, 10) }
harvest(cnn)
harvest(w.randn({3, 4}, {seed = 1})); harvest(w.zeros{2, 2}); harvest(w.tensor(1)); harvest(w.zeros{0})
harvest(w.quantize.tensor(w.randn({4, 64}, {seed = 2}), {format = "q8_0"}))
harvest(w.quantize.tensor(w.randn({4, 64}, {seed = 3}), {format = "int8"}))
harvest(w.pipeline{ {"prune.magnitude", {sparsity = 0.5}} })
harvest(w.prune.magnitude(mlp:clone(), {sparsity = 0.5}))
w.register_pass{ name = "fuzz.capture", doc = "keeps its context", apply = function(m, o, ctx) captured_ctx = ctx end }
w.run_pass("fuzz.capture", mlp:clone(), {})
harvest(captured_ctx)                         -- a context used after its pass returned
w.gguf.write("seed.gguf", { metadata = { ["general.architecture"] = "seed", n = 1 }, tensors = { a = w.zeros{2, 2} } })
local seed_gguf = w.gguf.open("seed.gguf")
harvest(seed_gguf.file); harvest(seed_gguf.tensors.a)
local seed_im = w.imatrix.new{ chunk_size = 4 }
seed_im:accumulate("a", w.ones{2, 3})
harvest(seed_im)
harvest(w.lm.load(LM_FIXTURE))
harvest(seed_gguf.tensors)                           -- lazy tensor table (Lua object)
local seed_tok = w.lm.load((LM_FIXTURE:gsub("llama$", "bert"))).tokenizer
harvest(seed_tok)
local seed_text = w.data.text("the cats and dogs chase the birds and the cats ")
harvest(seed_text); harvest(seed_text:windows(seed_tok, { ctx = 4, count = 2 }))

-- Bad values: every one must be refused or handled by every parameter.
local cyclic = {}; cyclic[1] = cyclic
local sparse = {}; for i = 50, 0, -1 do sparse[1 << i] = 1 end   -- #sparse is 2^50
local hostile = setmetatable({}, { __index = function() error("hostile __index") end,
                                   __len = function() error("hostile __len") end,
                                   __pairs = function() error("hostile __pairs") end })
local bad = {
  function() return nil end, function() return 0/0 end, function() return 1/0 end, function() return -1/0 end,
  function() return math.maxinteger end, function() return math.mininteger end, function() return -1 end,
  function() return 0 end, function() return 1e300 end, function() return -1e300 end, function() return 2^53 end,
  function() return 2^63 end, function() return 1.5 end, function() return -0.0 end, function() return 1 end,
  function() return "" end, function() return "abc" end, function() return "1e999" end, function() return "\0x" end,
  function() return string.rep("x", 5000) end, function() return "*.weight" end, function() return "prune.magnitude" end,
  function() return {} end, function() return {{}} end, function() return {1, {2}} end, function() return {{1, 2}, {3}} end,
  function() return cyclic end, function() return sparse end, function() return hostile end,
  function() return {1e308, -1e308} end, function() return {0/0} end, function() return {-1, 5} end,
  function() return {2^40, 2^40} end, function() return {math.maxinteger} end, function() return {1, 2, 3, n = 1} end,
  function() return {"a", "b"} end, function() return {x = 0/0, [1.5] = 2, [true] = 1} end, function() return {2, 3} end,
  function() return true end, function() return false end, function() return function() end end,
  function() return function() error("boom") end end, function() return coroutine.create(function() end) end,
  function() return io.stdout end, function() return w end, function() return samples end,
}
-- Option tables with real option names (from the signatures and the pass schemas) and bad values.
local keys = {}
for _, k in ipairs(fuzz_keys) do keys[#keys + 1] = k end
for _, p in ipairs(w.passes()) do
  for _, q in ipairs(p.params or {}) do if type(q.name) == "string" then keys[#keys + 1] = q.name end end
end
table.sort(keys)
local simple = #bad
local function badValue() return pick(bad)() end
bad[#bad + 1] = function() return { [pick(keys)] = bad[rand(simple)]() } end
bad[#bad + 1] = function() return { [pick(keys)] = bad[rand(simple)](), [pick(keys)] = bad[rand(simple)]() } end
local trace = os.getenv("WHITTLE_FUZZ_TRACE") ~= nil
local function anyObject()
  local classes = {}
  for k in pairs(samples) do classes[#classes + 1] = k end
  table.sort(classes)
  if #dead > 0 and rand(4) == 1 then return pick(dead) end
  return pick(samples[pick(classes)])
end
bad[#bad + 1] = function() return { [pick(keys)] = anyObject(), [pick(keys)] = bad[rand(simple)]() } end
local function arg() if rand(3) == 1 then return anyObject() end return badValue() end

-- Every function reachable from whittle (bindings and Lua wrappers such as pass functions).
local functions, seen = {}, {}
local function walk(t, path)
  if seen[t] then return end
  seen[t] = true
  local keys = {}
  for k in pairs(t) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = rawget(t, k)
    if type(v) == "function" then functions[#functions + 1] = { path .. "." .. k, v }
    elseif type(v) == "table" and getmetatable(v) == nil then walk(v, path .. "." .. k) end
  end
end
walk(w, "whittle")

local calls, errors, spent, reached = 0, 0, {}, {}
local budget = 2.0                            -- seconds per function: valid calls that train stay bounded
local function call(name, f, ...)
  if (spent[name] or 0) > budget then return end
  reached[name] = true
  if trace then io.stderr:write(name, "\n"); io.stderr:flush() end
  local t0 = w.now()
  local results = table.pack(pcall(f, ...))
  spent[name] = (spent[name] or 0) + (w.now() - t0)
  calls = calls + 1
  if not results[1] then
    errors = errors + 1
    if type(results[2]) ~= "string" then error(name .. " raised a non-string error: " .. tostring(results[2])) end
  else
    for i = 2, results.n do
      harvest(results[i])
      if type(results[i]) == "table" and getmetatable(results[i]) == nil then
        for _, v in pairs(results[i]) do harvest(v) end
      end
    end
  end
end

-- Members of an object: methods with the right object, a wrong one and a dead one; properties; metamethods.
local function memberCalls(cls, obj, argsFor, full)
  local m = fuzz_members[cls]
  if m == nil then
    -- A Lua object (Pipeline, Report): its metatable's functions.
    local mt = getmetatable(obj)
    local keys = {}
    for k, v in pairs(mt) do if type(v) == "function" and type(k) == "string" then keys[#keys + 1] = k end end
    local idx = rawget(mt, "__index")
    if type(idx) == "table" then for k, v in pairs(idx) do if type(v) == "function" then keys[#keys + 1] = k end end end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local f = rawget(mt, k) or idx[k]
      call(cls .. ":" .. k, f, obj, argsFor())
    end
    return
  end
  for _, name in ipairs(m.methods) do
    local f = obj[name]
    if type(f) == "function" then
      call(cls .. ":" .. name, f, obj, argsFor())
      if full then
        call(cls .. ":" .. name, f, anyObject(), argsFor())
        if #dead > 0 then call(cls .. ":" .. name, f, pick(dead), argsFor()) end
        call(cls .. ":" .. name, f, badValue(), argsFor())
      end
    end
  end
  for _, name in ipairs(m.properties) do call(cls .. "." .. name, function(o) return o[name] end, obj) end
  local mt = getmetatable(obj)
  for _, name in ipairs(m.metamethods) do
    if name ~= "__gc" and type(mt[name]) == "function" then
      call(cls .. "." .. name, mt[name], obj, argsFor())
      if full then
        call(cls .. "." .. name, mt[name], argsFor())
        call(cls .. "." .. name, mt[name], anyObject(), obj)
      end
    end
  end
  call(cls .. ".__gc", mt.__gc, io.stdout)          -- __gc by hand on what is not ours
  call(cls .. ".__gc", mt.__gc, {})
  if full and rand(8) == 1 then call(cls .. ".__gc", mt.__gc, anyObject()) end
end

-- Pass 1: each function with each bad value at each of its first three positions.
for _, entry in ipairs(functions) do
  local name, f = entry[1], entry[2]
  call(name, f)
  for pos = 1, 3 do
    for _, make in ipairs(bad) do
      local args = {}
      for i = 1, pos - 1 do args[i] = anyObject() end
      args[pos] = make()
      call(name, f, table.unpack(args, 1, pos))
    end
  end
end

-- Pass 2: members of every object type met so far, with one bad argument.
local classes = {}
for cls in pairs(samples) do classes[#classes + 1] = cls end
table.sort(classes)
for _, cls in ipairs(classes) do
  local obj = samples[cls][1]
  for _, make in ipairs(bad) do memberCalls(cls, obj, function() return make() end, false) end
end

-- Pass 3: random calls with one to four arguments of any kind.
for _ = 1, ITERATIONS do
  local args = {}
  local n = rand(4)
  for i = 1, n do args[i] = arg() end
  if rand(2) == 1 then
    local entry = pick(functions)
    call(entry[1], entry[2], table.unpack(args, 1, n))
  else
    local cls = pick(classes)
    memberCalls(cls, pick(samples[cls]), function() return table.unpack(args, 1, n) end, true)
  end
end

-- Everything declared must have been met.
local missing = {}
for cls in pairs(fuzz_members) do if samples[cls] == nil then missing[#missing + 1] = cls end end
table.sort(missing)
local unreached = {}
for _, entry in ipairs(functions) do if not reached[entry[1]] then unreached[#unreached + 1] = entry[1] end end
local slow = {}
for name, t in pairs(spent) do if t > budget then slow[#slow + 1] = name end end
table.sort(slow)
return string.format("%d calls (%d errors), %d functions, classes: %s; over the time budget: %s",
                     calls, errors, #functions, table.concat(classes, " "), table.concat(slow, " ")),
       table.concat(missing, " "), table.concat(unreached, " ")
"""#
}
