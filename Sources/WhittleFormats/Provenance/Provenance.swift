import Foundation

/// How a saved model was made: the recipe's text, the passes run with their resolved options,
/// and the input model's files with their SHA-256. Every writer stores it under the `whittle.*`
/// keys (safetensors `__metadata__`, GGUF key-value pairs), and `whittle inspect` shows it.
public struct Provenance: Sendable, Equatable {
    /// The recipe text (the script run by `whittle run`, the `-e` code, the REPL's chunks).
    public static let recipeKey = "whittle.recipe"
    /// JSON array of `{"pass": name, "options": {...}}` in the order they ran.
    public static let passesKey = "whittle.passes"
    /// JSON object `{"name": ..., "files": [{"path": ..., "sha256": ...}]}` naming the input model.
    public static let sourceKey = "whittle.source"
    /// The writing Whittle's version.
    public static let versionKey = "whittle.version"
    /// Every key a writer may add.
    public static let keys = [versionKey, sourceKey, passesKey, recipeKey]

    /// One pass that ran on the model.
    public struct PassRecord: Sendable, Equatable {
        /// Registered name ("prune.magnitude", "quantize.gptq").
        public var name: String
        /// Options after validation and defaults, as JSON values.
        public var options: [(key: String, value: JSONValue)]

        public static func == (a: PassRecord, b: PassRecord) -> Bool {
            a.name == b.name && JSONValue.object(a.options) == JSONValue.object(b.options)
        }
    }

    /// The recipe text, when a recipe made the model (set by the front end at save time).
    public var recipe: String?
    /// Passes run, in order.
    public var passes: [PassRecord] = []
    /// The files the model was loaded from (nil when it was built in memory).
    public var sourceFiles: [String] = []
    /// The model's name (file or directory name).
    public var sourceName: String?

    /// Nothing recorded yet.
    public init() {}

    /// A model loaded from `files` (one GGUF or safetensors file, or the files of a directory), called `name`.
    public init(source name: String, files: [String]) {
        sourceName = name
        sourceFiles = files
    }

    /// Appends a pass run with its resolved options: the hook `PassRegistry.run` and the
    /// language-model pass path call after a pass succeeds.
    public mutating func record(pass name: String, options: [(key: String, value: JSONValue)]) {
        passes.append(PassRecord(name: name, options: options.sorted { $0.key < $1.key }))
    }

    /// The `whittle.*` entries to store, as strings; the source files are hashed now (streamed
    /// through their memory maps, cached per file by size and modification time).
    public func metadata(version: String) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = [(Provenance.versionKey, version)]
        if let sourceName {
            let files: [JSONValue] = sourceFiles.map { path in
                .object([("path", .string(path)), ("sha256", .string(SourceHashes.sha256(of: path)))])
            }
            out.append((Provenance.sourceKey, JSONWriter.compact(.object([("name", .string(sourceName)), ("files", .array(files))]))))
        }
        if !passes.isEmpty {
            let list: [JSONValue] = passes.map { .object([("pass", .string($0.name)), ("options", .object($0.options))]) }
            out.append((Provenance.passesKey, JSONWriter.compact(.array(list))))
        }
        if let recipe { out.append((Provenance.recipeKey, recipe)) }
        return out
    }

    /// The `whittle.*` entries of a file's metadata, in display order, for `whittle inspect`.
    public static func entries(in metadata: [String: String]) -> [(key: String, value: String)] {
        keys.compactMap { k in metadata[k].map { (k, $0) } }
    }
}

/// SHA-256 of source files, computed once per file version (a recipe saving several times hashes once).
enum SourceHashes {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: (size: Int, mtime: Double, hex: String)] = [:]

    /// The digest, or "unavailable: reason" when the file cannot be read any more.
    static func sha256(of path: String) -> String {
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attrs?[.size] as? Int) ?? -1
        let mtime = (attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        lock.lock()
        if let c = cache[path], c.size == size, c.mtime == mtime { lock.unlock(); return c.hex }
        lock.unlock()
        let hex: String
        do { hex = try SHA256.hex(ofFile: path) } catch { return "unavailable: \(error)" }
        lock.lock()
        cache[path] = (size, mtime, hex)
        lock.unlock()
        return hex
    }
}
