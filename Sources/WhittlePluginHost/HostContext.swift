import Foundation
import WhittlePluginABI

/// What a `whittle_ctx *` points at: the state behind one plugin load or one
/// pass run, with the error message the C side can read back.
class HostContext {
    /// The last error message (set by a failing host call or `set_error`).
    private(set) var lastError = ""
    /// `lastError` as a C string, owned here so that `error_message` can return it.
    private var lastErrorC: UnsafeMutablePointer<CChar>?
    /// C strings handed to the plugin, freed with the context.
    private var owned: [UnsafeMutablePointer<CChar>] = []

    deinit {
        free(lastErrorC)
        for p in owned { free(p) }
    }

    /// Records `message` and returns `code`, so host functions can `return fail(...)`.
    func fail(_ code: Int32, _ message: String) -> Int32 {
        lastError = message
        free(lastErrorC)
        lastErrorC = strdup(message)
        return code
    }

    var lastErrorPointer: UnsafePointer<CChar>? {
        if lastErrorC == nil { lastErrorC = strdup(lastError) }
        return UnsafePointer(lastErrorC)
    }

    /// A C copy of `s` that lives as long as this context.
    func keep(_ s: String) -> UnsafePointer<CChar>? {
        guard let p = strdup(s) else { return nil }
        owned.append(p)
        return UnsafePointer(p)
    }

    /// Writes a log line for the user.
    func log(_ message: String) {}

    /// The opaque pointer the plugin sees (unretained: the host keeps the object alive).
    var pointer: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    /// The context behind a pointer from the plugin (nil for NULL).
    static func from(_ p: OpaquePointer?) -> HostContext? {
        guard let p else { return nil }
        return Unmanaged<HostContext>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}

/// A C string argument, or nil for NULL.
func swiftString(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }

/// The spelling of a status code, for messages.
func statusName(_ code: Int32) -> String {
    switch code {
    case WHITTLE_OK: return "WHITTLE_OK"
    case WHITTLE_ERR_INVALID_ARGUMENT: return "WHITTLE_ERR_INVALID_ARGUMENT"
    case WHITTLE_ERR_NOT_FOUND: return "WHITTLE_ERR_NOT_FOUND"
    case WHITTLE_ERR_TYPE: return "WHITTLE_ERR_TYPE"
    case WHITTLE_ERR_DUPLICATE: return "WHITTLE_ERR_DUPLICATE"
    case WHITTLE_ERR_STATE: return "WHITTLE_ERR_STATE"
    case WHITTLE_ERR_TARGET: return "WHITTLE_ERR_TARGET"
    case WHITTLE_ERR_FAILED: return "WHITTLE_ERR_FAILED"
    default: return "unknown code"
    }
}
