// Whittle native plugin in Swift: ternary weight quantization (Li & Liu 2016,
// "Ternary Weight Networks"). Each target tensor becomes {-a, 0, +a}: weights
// with |w| <= delta = threshold * mean|w| go to zero, the rest to +-a, where a is
// the mean magnitude of the weights kept (the least-squares optimal scale).
//
// Built by SwiftPM as the dynamic library product WhittleTernary
// (libWhittleTernary.so / .dylib). It talks to Whittle only through the
// whittle_host_api struct, so it links nothing of Whittle but the C header.
import WhittlePluginABI

/// The host's API table, kept from init (the header guarantees it stays valid).
nonisolated(unsafe) private var host: UnsafePointer<whittle_host_api>?

@_cdecl("whittle_plugin_abi_version")
public func whittlePluginABIVersion() -> UInt32 { WHITTLE_PLUGIN_ABI_VERSION }

@_cdecl("whittle_plugin_init")
public func whittlePluginInit(_ api: UnsafePointer<whittle_host_api>?) -> Int32 {
    guard let api, let register = api.pointee.register_pass else { return WHITTLE_ERR_INVALID_ARGUMENT }
    host = api
    // The definition's strings must outlive the call only until register_pass copies them.
    return "quantize.ternary".withCString { name in
        "Ternary weights {-a, 0, +a} per tensor or per output channel (TWN: delta = threshold x mean|w|, a = mean kept |w|).".withCString { doc in
            "Threshold factor t: weights with |w| <= t x mean|w| become 0 (0.7 in the TWN paper).".withCString { tdoc in
                "One scale and threshold per output channel (first dimension) instead of per tensor.".withCString { pdoc in
                    var params = [
                        whittle_param_def(name: nil, type: WHITTLE_PARAM_NUMBER,
                                          flags: WHITTLE_PARAM_HAS_DEFAULT | WHITTLE_PARAM_HAS_MIN | WHITTLE_PARAM_MIN_EXCLUSIVE | WHITTLE_PARAM_HAS_MAX,
                                          default_number: 0.7, default_string: nil, min: 0, max: 10, choices: nil, doc: tdoc),
                        whittle_param_def(name: nil, type: WHITTLE_PARAM_BOOL, flags: WHITTLE_PARAM_HAS_DEFAULT,
                                          default_number: 0, default_string: nil, min: 0, max: 0, choices: nil, doc: pdoc),
                    ]
                    return "threshold".withCString { n0 in
                        "per_channel".withCString { n1 in
                            params[0].name = n0
                            params[1].name = n1
                            return params.withUnsafeBufferPointer { buf in
                                var def = whittle_pass_def(name: name, doc: doc, params: buf.baseAddress, param_count: buf.count,
                                                           apply: ternaryApply, user_data: nil, default_targets: nil)
                                return register(api.pointee.plugin, &def)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The pass body: C-callable, so every failure becomes a status code.
private let ternaryApply: whittle_apply_fn = { run, _ in
    guard let api = host?.pointee else { return WHITTLE_ERR_STATE }
    var count = 0
    var rc = api.select_targets(run, &count)
    var index = 0
    while rc == WHITTLE_OK && index < count {
        rc = quantizeTarget(api, run, index)
        index += 1
    }
    return rc
}

/// Ternarizes the index-th selected target and reports its scale and error.
private func quantizeTarget(_ api: whittle_host_api, _ run: OpaquePointer?, _ index: Int) -> Int32 {
    var info = whittle_tensor_info()
    var rc = api.target_info(run, index, &info)
    guard rc == WHITTLE_OK, let name = info.name else { return rc }
    var threshold = 0.7
    var perChannel: Int32 = 0
    rc = api.option_number(run, name, "threshold", &threshold)
    if rc == WHITTLE_OK { rc = api.option_bool(run, name, "per_channel", &perChannel) }
    guard rc == WHITTLE_OK else { return rc }
    let n = Int(info.numel)
    var w = [Float](repeating: 0, count: n)
    rc = w.withUnsafeMutableBufferPointer { api.read_tensor(run, name, $0.baseAddress, n) }
    guard rc == WHITTLE_OK else { return rc }
    let original = w
    // One group per tensor, or one per output channel (the first dimension).
    let rows = perChannel != 0 && info.ndim >= 1 ? Int(info.shape.0) : 1
    let groupSize = rows > 0 ? n / rows : n
    var alphas: [Double] = []
    for g in 0..<rows {
        let range = (g * groupSize)..<((g + 1) * groupSize)
        var meanAbs = 0.0
        for i in range { meanAbs += Double(abs(w[i])) }
        meanAbs /= Double(max(groupSize, 1))
        let delta = threshold * meanAbs
        var kept = 0.0, keptCount = 0
        for i in range where Double(abs(w[i])) > delta {
            kept += Double(abs(w[i]))
            keptCount += 1
        }
        let alpha = keptCount > 0 ? kept / Double(keptCount) : 0
        alphas.append(alpha)
        for i in range {
            w[i] = Double(abs(w[i])) > delta ? Float(alpha) * (w[i] < 0 ? -1 : 1) : 0
        }
    }
    rc = w.withUnsafeBufferPointer { api.write_tensor(run, name, $0.baseAddress, n) }
    guard rc == WHITTLE_OK else { return rc }
    var err = 0.0, norm = 0.0, zeros = 0
    for i in 0..<n {
        let d = Double(original[i] - w[i])
        err += d * d
        norm += Double(original[i]) * Double(original[i])
        if w[i] == 0 { zeros += 1 }
    }
    let meanAlpha = alphas.isEmpty ? 0 : alphas.reduce(0, +) / Double(alphas.count)
    _ = api.report_number(run, name, "alpha", meanAlpha)
    _ = api.report_number(run, name, "zeros", n > 0 ? Double(zeros) / Double(n) : 0)
    _ = api.report_number(run, name, "rel_error", norm > 0 ? (err / norm).squareRoot() : 0)
    _ = api.report_number(run, name, "bits", 1.58)
    return WHITTLE_OK
}
