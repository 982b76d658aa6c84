import WhittlePasses

/// The context of one plugin load (`api->plugin`): where passes registered
/// during init go, and the first registration error, which fails the load.
final class LoadContext: HostContext {
    /// The plugin file as the user named it (shown in sources and messages).
    let path: String
    /// The library handle, kept by the passes so the code stays mapped.
    let library: UnsafeMutableRawPointer
    /// Set while init runs; registration is refused outside it.
    weak var registry: PassRegistry?
    /// Names registered by this load, to undo them if the load fails.
    var registered: [String] = []
    /// The first registration failure: the load fails with it even if init returns WHITTLE_OK.
    var registrationError: String?
    private let sink: (String) -> Void

    init(path: String, library: UnsafeMutableRawPointer, registry: PassRegistry, log: @escaping (String) -> Void) {
        self.path = path
        self.library = library
        self.registry = registry
        sink = log
    }

    override func log(_ message: String) { sink("plugin '\(path)': \(message)") }
}
