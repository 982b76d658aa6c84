/// Errors from kernels whose arguments were invalid (the callers validate user input with these).
public enum KernelError: Error, CustomStringConvertible, Equatable {
    /// A row length that is not a multiple of the format's block or group size.
    case notBlockMultiple(format: String, length: Int, block: Int)
    /// A group size the format does not support.
    case unsupportedGroup(Int)
    /// A buffer whose byte count does not match the shape it is said to hold.
    case sizeMismatch(what: String, expected: Int, got: Int)
    /// An option combination the format does not support.
    case unsupportedOption(String)

    public var description: String {
        switch self {
        case let .notBlockMultiple(format, length, block):
            return "\(format): row length \(length) is not a multiple of the block size \(block)"
        case let .unsupportedGroup(g):
            return "int4: group size must be 32, 64 or 128, got \(g)"
        case let .sizeMismatch(what, expected, got):
            return "\(what): expected \(expected) bytes, got \(got)"
        case let .unsupportedOption(message):
            return message
        }
    }
}
