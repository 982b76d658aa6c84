import Foundation

/// Failures of the file layer (open, map, read, atomic write), each naming the path.
public enum FileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case cannotRead(path: String, reason: String)
    case cannotMap(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case tooLarge(path: String, bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "cannot open '\(p)': \(r)"
        case .cannotRead(let p, let r): return "cannot read '\(p)': \(r)"
        case .cannotMap(let p, let r): return "cannot memory-map '\(p)': \(r)"
        case .cannotWrite(let p, let r): return "cannot write '\(p)': \(r)"
        case .tooLarge(let p, let b, let l): return "'\(p)' is \(b) bytes, more than the limit of \(l) bytes"
        }
    }
}

/// The message of the current `errno`.
func errnoString() -> String { String(cString: strerror(errno)) }
