/// Errors of the data layer, written for the person running a recipe.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// Images and labels disagree on the number of samples.
    case countMismatch(images: Int, labels: Int)
    /// A tensor of the wrong rank or kind for a dataset.
    case invalidShape(String)
    /// A bad argument (batch size, take count...).
    case invalidArgument(String)
    /// The bundled data could not be located.
    case notFound(String)

    public var description: String {
        switch self {
        case .countMismatch(let i, let l): return "dataset: \(i) images but \(l) labels; the files do not belong together"
        case .invalidShape(let m), .notFound(let m): return "dataset: \(m)"
        // These messages start with the operation's name ("take: ..."), like Lua binding errors.
        case .invalidArgument(let m): return m
        }
    }
}
