import CLua
import CLuaShim
import Foundation

/// The error a binding throws; the trampoline turns it into a Lua error
/// prefixed with the caller's file:line and the binding's name.
public struct LuaBindingError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One Swift function exposed to Lua: declared once, with the signature and
/// doc that `help()` and the REPL's completion are generated from.
public struct Binding: Sendable {
    /// Name inside its namespace ("tensor", "matmul", "__add").
    public let name: String
    /// How it is called, for help ("whittle.tensor(values) -> Tensor").
    public let signature: String
    /// One line saying what it does.
    public let doc: String
    /// The implementation: reads arguments from `call`, pushes results, returns how many.
    public let body: @Sendable (LuaCall) throws -> Int32

    public init(_ name: String, _ signature: String, _ doc: String, _ body: @escaping @Sendable (LuaCall) throws -> Int32) {
        self.name = name
        self.signature = signature
        self.doc = doc
        self.body = body
    }
}

/// A table of functions reachable from `whittle` ("" for `whittle` itself, "nn" for `whittle.nn`).
public struct Namespace: Sendable {
    public let path: String
    public let doc: String
    public let bindings: [Binding]
    public init(_ path: String, doc: String, _ bindings: [Binding]) {
        self.path = path
        self.doc = doc
        self.bindings = bindings
    }
}

/// A Swift class exposed as Lua userdata: methods (`obj:m()`), read-only
/// properties (`obj.p`) and metamethods (`__add`, `__tostring`, `__len`, ...).
public struct LuaClass: Sendable {
    /// Short name ("Tensor"); the metatable is registered as "whittle.<name>".
    public let name: String
    public let doc: String
    public let methods: [Binding]
    /// Each is called with the object and returns its value.
    public let properties: [Binding]
    public let metamethods: [Binding]
    public init(_ name: String, doc: String, methods: [Binding], properties: [Binding] = [], metamethods: [Binding] = []) {
        self.name = name
        self.doc = doc
        self.methods = methods
        self.properties = properties
        self.metamethods = metamethods
    }
    var metatableName: String { "whittle." + name }
}

/// Where each binding lives, for error prefixes and help.
struct RegisteredBinding {
    let binding: Binding
    /// Name used in messages: "tensor", "quantize.tensor", "matmul".
    let errorName: String
    /// Name shown by help: "whittle.quantize.tensor", "Tensor:matmul".
    let qualifiedName: String
}

/// Every binding of the process, indexed by the id stored in its Lua closure.
/// Filled once, before any Lua state exists, and read-only afterwards.
enum BindingTable {
    nonisolated(unsafe) private(set) static var entries: [RegisteredBinding] = []
    private static let lock = NSLock()

    /// Registers a binding and returns its id.
    static func add(_ binding: Binding, errorName: String, qualifiedName: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        entries.append(RegisteredBinding(binding: binding, errorName: errorName, qualifiedName: qualifiedName))
        return entries.count - 1
    }

    static func entry(_ id: Int) -> RegisteredBinding? {
        lock.lock(); defer { lock.unlock() }
        return id >= 0 && id < entries.count ? entries[id] : nil
    }
}

/// Called by the C trampoline for every binding call. Never raises: errors
/// come back as -1 with the message pushed, and the trampoline raises them.
let dispatch: whittle_dispatch_fn = { L, id in
    guard let L, let entry = BindingTable.entry(Int(id)) else { return -1 }
    do {
        return try entry.binding.body(LuaCall(L, name: entry.errorName))
    } catch {
        var message = String(describing: error)
        if !message.hasPrefix(entry.errorName + ":") { message = entry.errorName + ": " + message }
        lua_settop(L, 0)
        Lua.push(L, message)
        return -1
    }
}
