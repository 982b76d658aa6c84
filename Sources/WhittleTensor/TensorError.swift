/// Errors of the tensor layer; messages are written for the person running a recipe.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(String)
    case invalidShape(String)
    case indexOutOfRange(String)
    case unsupportedDType(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let s), .invalidShape(let s), .indexOutOfRange(let s),
             .unsupportedDType(let s), .invalidArgument(let s):
            return s
        }
    }
}

/// Formats a shape as "2x3" (or "scalar" for rank 0), as used in error messages.
public func shapeString(_ shape: [Int]) -> String {
    shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "x")
}
