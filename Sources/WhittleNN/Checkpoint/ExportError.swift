/// Why a model could not be saved in the requested format; nothing was written.
public struct ExportError: Error, CustomStringConvertible, Equatable {
    /// What was wrong, naming the tensor and its type where there is one.
    public let message: String
    /// An error with `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { "save: " + message }
}
