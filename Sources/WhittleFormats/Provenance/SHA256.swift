import Foundation

/// SHA-256 (FIPS 180-4), streamed, for naming the exact input a saved model was made from.
/// Foundation on Linux has no digest API, and a dependency for one function is not worth it.
public struct SHA256 {
    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0
    private var w = [UInt32](repeating: 0, count: 64)
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// A fresh digest.
    public init() {}

    /// Feeds bytes.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        length &+= UInt64(buffer.count)
        var i = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, buffer.count)
            pending.append(contentsOf: buffer[0..<take])
            i = take
            if pending.count == 64 {
                pending.withUnsafeBytes { compress($0.baseAddress!) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        guard let base = buffer.baseAddress else { return }
        while i + 64 <= buffer.count {
            compress(base + i)
            i += 64
        }
        if i < buffer.count { pending.append(contentsOf: buffer[i...]) }
    }

    /// Feeds an array of bytes.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest as 64 lower-case hex digits.
    public mutating func hexDigest() -> String {
        let bits = length &* 8
        var tail: [UInt8] = [0x80]
        while (pending.count + tail.count) % 64 != 56 { tail.append(0) }
        for s in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(s))) }
        let saved = length
        update(tail)
        length = saved
        return h.map { String(format: "%08x", $0) }.joined()
    }

    private mutating func compress(_ p: UnsafeRawPointer) {
        // Unsafe buffers: this runs once per 64 bytes of multi-gigabyte checkpoints.
        h.withUnsafeMutableBufferPointer { hp in
            w.withUnsafeMutableBufferPointer { wp in
                SHA256.k.withUnsafeBufferPointer { kp in
                    for t in 0..<16 { wp[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self)) }
                    for t in 16..<64 {
                        let a = wp[t - 15], b = wp[t - 2]
                        let s0 = rotr32(a, 7) ^ rotr32(a, 18) ^ (a >> 3)
                        let s1 = rotr32(b, 17) ^ rotr32(b, 19) ^ (b >> 10)
                        wp[t] = wp[t - 16] &+ s0 &+ wp[t - 7] &+ s1
                    }
                    var (a, b, c, d, e, f, g, hh) = (hp[0], hp[1], hp[2], hp[3], hp[4], hp[5], hp[6], hp[7])
                    for t in 0..<64 {
                        let s1 = rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)
                        let ch = (e & f) ^ (~e & g)
                        let t1 = hh &+ s1 &+ ch &+ kp[t] &+ wp[t]
                        let s0 = rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)
                        let maj = (a & b) ^ (a & c) ^ (b & c)
                        (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ s0 &+ maj)
                    }
                    hp[0] &+= a; hp[1] &+= b; hp[2] &+= c; hp[3] &+= d; hp[4] &+= e; hp[5] &+= f; hp[6] &+= g; hp[7] &+= hh
                }
            }
        }
    }

    /// The SHA-256 of a file, read through its memory map.
    public static func hex(ofFile path: String) throws -> String {
        let map = try MappedFile(path: path)
        var d = SHA256()
        d.update(map.buffer)
        return d.hexDigest()
    }
}

@inline(__always) private func rotr32(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
