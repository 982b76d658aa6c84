/// Little-endian encoding of GGUF header parts, exactly as gguf.cpp's writer lays them out.
struct GGUFEncoder {
    var bytes: [UInt8] = []

    mutating func int<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ s: String) {
        int(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    mutating func ints<T: FixedWidthInteger>(_ a: [T]) {
        for v in a { int(v) }
    }

    /// Type id then payload (a scalar, or element type, count and elements).
    mutating func value(_ v: GGUFValue) {
        int(v.type.rawValue)
        switch v {
        case .uint8(let x): int(x)
        case .int8(let x): int(x)
        case .uint16(let x): int(x)
        case .int16(let x): int(x)
        case .uint32(let x): int(x)
        case .int32(let x): int(x)
        case .uint64(let x): int(x)
        case .int64(let x): int(x)
        case .float32(let x): int(x.bitPattern)
        case .float64(let x): int(x.bitPattern)
        case .bool(let x): int(UInt8(x ? 1 : 0))
        case .string(let s): string(s)
        case .array(let a): array(a)
        }
    }

    /// An array body: element type, count, then the elements without type ids.
    mutating func array(_ a: GGUFArray) {
        int(a.elementType.rawValue)
        int(UInt64(a.count))
        switch a {
        case .uint8(let x): bytes.append(contentsOf: x)
        case .int8(let x): ints(x)
        case .uint16(let x): ints(x)
        case .int16(let x): ints(x)
        case .uint32(let x): ints(x)
        case .int32(let x): ints(x)
        case .uint64(let x): ints(x)
        case .int64(let x): ints(x)
        case .float32(let x): ints(x.map(\.bitPattern))
        case .float64(let x): ints(x.map(\.bitPattern))
        case .bool(let x): bytes.append(contentsOf: x.map { $0 ? 1 : 0 })
        case .string(let x): for s in x { string(s) }
        case .array(let x): for inner in x { array(inner) }
        }
    }

    /// Zero bytes up to the next multiple of `alignment`.
    mutating func pad(_ alignment: Int) {
        bytes.append(contentsOf: [UInt8](repeating: 0, count: padded(bytes.count, alignment) - bytes.count))
    }
}
