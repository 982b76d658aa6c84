import Foundation
import WhittleNN
import WhittlePasses
import WhittlePluginABI
import WhittleTensor

/// The `whittle_host_api` table: C-callable functions that find their Swift
/// context from the `whittle_ctx *` argument. None of them can throw or trap on
/// the plugin's input; every failure is a status code plus a recorded message.
enum HostAPI {
    /// A fresh API struct for one plugin load. It is never freed: the header
    /// promises plugins it stays valid for the life of the process.
    static func make(for load: LoadContext) -> UnsafeMutablePointer<whittle_host_api> {
        var api = whittle_host_api()
        api.abi_version = WHITTLE_PLUGIN_ABI_VERSION
        api.struct_size = UInt32(MemoryLayout<whittle_host_api>.size)
        api.plugin = load.pointer
        api.plugin_path = UnsafePointer(strdup(load.path))
        api.register_pass = { ctx, def in HostAPI.registerPass(ctx, def) }
        api.tensor_count = { ctx, count in
            HostAPI.withRun(ctx, "tensor_count") { run in
                guard let count else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "tensor_count: count is NULL") }
                count.pointee = run.parameters.count
                return WHITTLE_OK
            }
        }
        api.tensor_info = { ctx, index, info in
            HostAPI.withRun(ctx, "tensor_info") { run in
                guard let info else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "tensor_info: info is NULL") }
                guard index < run.parameters.count else {
                    return run.fail(WHITTLE_ERR_NOT_FOUND, "tensor_info: index \(index) is out of range (the model has \(run.parameters.count) tensors)")
                }
                let p = run.parameters[index]
                return run.describe(p.name, p.parameter, into: info)
            }
        }
        api.find_tensor = { ctx, name, info in
            HostAPI.withTensor(ctx, "find_tensor", name) { run, key, p in
                guard let info else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "find_tensor: info is NULL") }
                return run.describe(key, p, into: info)
            }
        }
        api.select_targets = { ctx, count in
            HostAPI.withRun(ctx, "select_targets") { run in
                guard let count else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "select_targets: count is NULL") }
                let globs = run.options.strings("targets") ?? run.pass.defaultTargets
                do {
                    run.targets = try Targets.select(run.model, globs: globs, pass: run.pass.name).map(\.name)
                } catch {
                    run.targets = []
                    return run.fail(WHITTLE_ERR_TARGET, HostAPI.withoutPassPrefix(String(describing: error), run.pass.name))
                }
                count.pointee = run.targets.count
                return WHITTLE_OK
            }
        }
        api.target_info = { ctx, index, info in
            HostAPI.withRun(ctx, "target_info") { run in
                guard let info else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "target_info: info is NULL") }
                guard index < run.targets.count, let p = run.parameter(run.targets[index]) else {
                    return run.fail(WHITTLE_ERR_NOT_FOUND, "target_info: index \(index) is out of range (\(run.targets.count) targets selected; call select_targets first)")
                }
                return run.describe(run.targets[index], p, into: info)
            }
        }
        api.read_tensor = { ctx, name, dst, count in
            HostAPI.withTensor(ctx, "read_tensor", name) { run, key, p in
                guard let dst else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "read_tensor: dst is NULL") }
                guard count == p.value.count else {
                    return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "read_tensor: '\(key)' has \(p.value.count) elements, the buffer \(count)")
                }
                dst.update(from: p.value.floats, count: count)
                return WHITTLE_OK
            }
        }
        api.write_tensor = { ctx, name, src, count in
            HostAPI.withTensor(ctx, "write_tensor", name) { run, key, p in
                guard let src else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "write_tensor: src is NULL") }
                guard count == p.value.count else {
                    return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "write_tensor: '\(key)' has \(p.value.count) elements, the buffer \(count)")
                }
                p.value.makeWritable()
                p.value.floats.update(from: src, count: count)
                p.applyMask()
                return WHITTLE_OK
            }
        }
        api.replace_tensor = { ctx, name, dtype, shape, ndim, data, nbytes in
            HostAPI.withTensor(ctx, "replace_tensor", name) { run, key, p in
                HostAPI.replace(run, key, p, dtype, shape, ndim, data, nbytes)
            }
        }
        api.set_metadata = { ctx, key, value in
            HostAPI.withRun(ctx, "set_metadata") { run in
                guard let k = swiftString(key), !k.isEmpty, let v = swiftString(value) else {
                    return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "set_metadata: key and value must be non-empty strings")
                }
                guard k != Model.architectureKey && k != Model.versionKey else {
                    return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "set_metadata: '\(k)' is written by whittle itself")
                }
                run.model.metadata[k] = v
                return WHITTLE_OK
            }
        }
        api.option_number = { ctx, target, name, out in
            HostAPI.withOption(ctx, "option_number", target, name, out) { v in
                switch v {
                case .number(let d): return d
                case .integer(let i): return Double(i)
                default: return nil
                }
            }
        }
        api.option_integer = { ctx, target, name, out in
            HostAPI.withOption(ctx, "option_integer", target, name, out) { v in
                switch v {
                case .integer(let i): return Int64(i)
                case .number(let d) where d == d.rounded() && abs(d) < 9e15: return Int64(d)
                default: return nil
                }
            }
        }
        api.option_bool = { ctx, target, name, out in
            HostAPI.withOption(ctx, "option_bool", target, name, out) { v in
                if case .bool(let b) = v { return Int32(b ? 1 : 0) }
                return nil
            }
        }
        api.option_string = { ctx, target, name, out in
            guard let run = HostContext.from(ctx) as? RunContext else { return HostAPI.notRunning(ctx, "option_string") }
            return HostAPI.withOption(ctx, "option_string", target, name, out) { v -> UnsafePointer<CChar>? in
                switch v {
                case .string(let s): return run.keep(s)
                case .strings(let a): return run.keep(a.joined(separator: ","))
                default: return nil
                }
            }
        }
        api.report_number = { ctx, target, key, value in
            HostAPI.withRun(ctx, "report_number") { run in
                guard let k = swiftString(key), !k.isEmpty else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "report_number: key is NULL or empty") }
                run.report(swiftString(target), k, value == value.rounded() && abs(value) < 9e15 ? .integer(Int(value)) : .number(value))
                return WHITTLE_OK
            }
        }
        api.report_string = { ctx, target, key, value in
            HostAPI.withRun(ctx, "report_string") { run in
                guard let k = swiftString(key), !k.isEmpty, let v = swiftString(value) else {
                    return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "report_string: key and value must be non-NULL (and key non-empty)")
                }
                run.report(swiftString(target), k, .string(v))
                return WHITTLE_OK
            }
        }
        api.log = { ctx, message in
            guard let c = HostContext.from(ctx), let m = swiftString(message) else { return }
            c.log(m)
        }
        api.set_error = { ctx, code, message in
            guard let c = HostContext.from(ctx) else { return code }
            return c.fail(code, swiftString(message) ?? "")
        }
        api.error_message = { ctx in
            HostContext.from(ctx)?.lastErrorPointer
        }
        let p = UnsafeMutablePointer<whittle_host_api>.allocate(capacity: 1)
        p.initialize(to: api)
        return p
    }

    // MARK: helpers (plain Swift, called from the C entry points above)

    static func registerPass(_ ctx: OpaquePointer?, _ def: UnsafePointer<whittle_pass_def>?) -> Int32 {
        guard let c = HostContext.from(ctx) else { return WHITTLE_ERR_INVALID_ARGUMENT }
        guard let load = c as? LoadContext, let registry = load.registry else {
            return c.fail(WHITTLE_ERR_STATE, "register_pass: passes can only be registered during whittle_plugin_init, with api->plugin")
        }
        func failed(_ code: Int32, _ message: String) -> Int32 {
            if load.registrationError == nil { load.registrationError = message }
            return load.fail(code, message)
        }
        guard let def else { return failed(WHITTLE_ERR_INVALID_ARGUMENT, "register_pass: def is NULL") }
        do {
            let pass = try NativePass(def.pointee, load: load)
            try registry.register(pass)
            load.registered.append(pass.name)
            return WHITTLE_OK
        } catch let e as PassError {
            return failed(WHITTLE_ERR_DUPLICATE, e.description)
        } catch {
            return failed(WHITTLE_ERR_INVALID_ARGUMENT, String(describing: error))
        }
    }

    /// Runs `body` with the open run behind `ctx`, or fails with WHITTLE_ERR_STATE.
    static func withRun(_ ctx: OpaquePointer?, _ fn: String, _ body: (RunContext) -> Int32) -> Int32 {
        guard let run = HostContext.from(ctx) as? RunContext, run.open else { return notRunning(ctx, fn) }
        return body(run)
    }

    static func notRunning(_ ctx: OpaquePointer?, _ fn: String) -> Int32 {
        guard let c = HostContext.from(ctx) else { return WHITTLE_ERR_INVALID_ARGUMENT }
        return c.fail(WHITTLE_ERR_STATE, "\(fn): only callable during a pass's apply, with its run context")
    }

    /// Runs `body` with the run and the parameter called `name`.
    static func withTensor(_ ctx: OpaquePointer?, _ fn: String, _ name: UnsafePointer<CChar>?, _ body: (RunContext, String, Parameter) -> Int32) -> Int32 {
        withRun(ctx, fn) { run in
            guard let key = swiftString(name) else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "\(fn): name is NULL") }
            guard let p = run.parameter(key) else {
                return run.fail(WHITTLE_ERR_NOT_FOUND, "\(fn): no tensor '\(key)' (tensors: \(run.parameters.map(\.name).joined(separator: ", ")))")
            }
            return body(run, key, p)
        }
    }

    /// Reads an option, converts it with `convert` (nil: wrong type) and stores it in `out`.
    static func withOption<T>(_ ctx: OpaquePointer?, _ fn: String, _ target: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
                              _ out: UnsafeMutablePointer<T>?, _ convert: (PassValue) -> T?) -> Int32 {
        withRun(ctx, fn) { run in
            guard let out else { return run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "\(fn): out is NULL") }
            switch run.option(target, name) {
            case .failure(let f): return run.fail(f.code, "\(fn): \(f.message)")
            case .success(let v):
                guard let x = convert(v) else {
                    return run.fail(WHITTLE_ERR_TYPE, "\(fn): option '\(swiftString(name) ?? "")' is \(v), not of that type")
                }
                out.pointee = x
                return WHITTLE_OK
            }
        }
    }

    /// replace_tensor's body: checks dtype, shape and byte count, then swaps the value in.
    static func replace(_ run: RunContext, _ key: String, _ p: Parameter, _ dtype: Int32, _ shape: UnsafePointer<Int64>?,
                        _ ndim: Int32, _ data: UnsafeRawPointer?, _ nbytes: Int) -> Int32 {
        func bad(_ m: String) -> Int32 { run.fail(WHITTLE_ERR_INVALID_ARGUMENT, "replace_tensor: '\(key)': \(m)") }
        guard let type = DType(rawValue: Int(dtype)) else { return run.fail(WHITTLE_ERR_TYPE, "replace_tensor: '\(key)': unknown dtype \(dtype)") }
        guard ndim >= 0, ndim <= WHITTLE_MAX_DIMS else { return bad("ndim \(ndim) is not in [0, \(WHITTLE_MAX_DIMS)]") }
        guard ndim == 0 || shape != nil else { return bad("shape is NULL") }
        var dims: [Int] = []
        for i in 0..<Int(ndim) {
            let d = shape?[i] ?? 0
            guard d >= 0, d <= Int64(Int32.max) else { return bad("extent \(d) of dimension \(i) is out of range") }
            dims.append(Int(d))
        }
        let count: Int
        do { count = try Tensor.checkedCount(dims) } catch { return bad(String(describing: error)) }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, bytes == nbytes else { return bad("\(nbytes) bytes given, the shape and dtype need \(overflow ? "more than Int.max" : String(bytes))") }
        guard nbytes == 0 || data != nil else { return bad("data is NULL") }
        let storage: Storage
        do { storage = try Storage(zeroed: nbytes, what: "a \(shapeString(dims)) \(type) tensor from a plugin") } catch { return bad(String(describing: error)) }
        if let data, nbytes > 0 { storage.bytes.copyMemory(from: data, byteCount: nbytes) }
        do {
            try p.replaceValue(try Tensor(shape: dims, dtype: type, storage: storage))
        } catch {
            return bad(String(describing: error))
        }
        return WHITTLE_OK
    }

    /// PassError messages start with the pass name; the pass adds it again when it fails.
    static func withoutPassPrefix(_ message: String, _ pass: String) -> String {
        message.hasPrefix(pass + ": ") ? String(message.dropFirst(pass.count + 2)) : message
    }
}
