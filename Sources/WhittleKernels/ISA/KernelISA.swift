import CKernels
import Foundation

/// The vector ISA level the kernels run at. The CPU's features are read once; the best level it
/// supports is the default, and `WHITTLE_ISA=scalar|avx2|avx512` (or `KernelISA.force`) picks a lower one.
public enum KernelISA: Int32, CaseIterable, Comparable, CustomStringConvertible, Sendable {
    /// Portable scalar C: the specification every SIMD kernel is tested against.
    case scalar = 0
    /// AVX2 + FMA + F16C (x86-64-v3): 16 ymm registers.
    case avx2 = 1
    /// AVX-512 F/BW/VL/DQ with VNNI: 32 zmm registers and vpdpbusd.
    case avx512 = 2

    public var description: String {
        switch self {
        case .scalar: return "scalar"
        case .avx2: return "avx2"
        case .avx512: return "avx512"
        }
    }

    public static func < (a: KernelISA, b: KernelISA) -> Bool { a.rawValue < b.rawValue }

    /// Parses a `WHITTLE_ISA` value.
    public init?(name: String) {
        guard let isa = KernelISA.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = isa
    }

    /// The features this CPU (and OS) supports, read once.
    public static let features = CPUFeatures(bits: ck_cpu_features())

    /// The highest level this CPU can run.
    public static let best: KernelISA = {
        guard ck_has_x86_kernels() != 0 else { return .scalar }
        if features.avx512 { return .avx512 }
        if features.avx2Level { return .avx2 }
        return .scalar
    }()

    /// Every level this CPU can run, lowest first (what the tests iterate over).
    public static var supported: [KernelISA] { allCases.filter { $0 <= best } }

    /// The level requested by `WHITTLE_ISA`, or an error naming what is wrong with it.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Result<KernelISA, KernelError> {
        guard let raw = env["WHITTLE_ISA"], !raw.isEmpty else { return .success(best) }
        guard let isa = KernelISA(name: raw) else {
            return .failure(.unsupportedOption("WHITTLE_ISA must be scalar, avx2 or avx512, got '\(raw)'"))
        }
        return validate(isa).map { _ in isa }
    }

    /// Succeeds when this CPU can run `isa`; otherwise names the missing features.
    public static func validate(_ isa: KernelISA) -> Result<Void, KernelError> {
        if isa <= best { return .success(()) }
        let missing = isa == .avx512 ? features.missingForAVX512 : features.missingForAVX2
        return .failure(.unsupportedOption(
            "WHITTLE_ISA=\(isa): this CPU lacks \(missing.joined(separator: ", ")) (best available: \(best))"))
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var current: KernelISA = (try? fromEnvironment().get()) ?? best

    /// The level the kernels use now.
    public static var active: KernelISA {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    /// Switches the kernels to `isa`; throws when the CPU cannot run it.
    public static func force(_ isa: KernelISA) throws {
        try validate(isa).get()
        lock.lock(); current = isa; lock.unlock()
    }

    /// Runs `body` at `isa`, then restores the previous level (tests cover each path this way).
    public static func with<R>(_ isa: KernelISA, _ body: () throws -> R) throws -> R {
        let saved = active
        try force(isa)
        defer { try? force(saved) }
        return try body()
    }

    /// One line for `whittle --version` and `whittle bench`: the level in use and the CPU's features.
    public static var summary: String { "isa \(active) (cpu: \(features))" }
}

/// The CPU features the kernels care about (cpuid + xgetbv, OS register support included).
public struct CPUFeatures: CustomStringConvertible, Sendable {
    let bits: UInt32
    private func has(_ flag: Int) -> Bool { bits & UInt32(flag) != 0 }
    public var avx2: Bool { has(CK_FEAT_AVX2) }
    public var fma: Bool { has(CK_FEAT_FMA) }
    public var f16c: Bool { has(CK_FEAT_F16C) }
    public var avx512f: Bool { has(CK_FEAT_AVX512F) }
    public var avx512bw: Bool { has(CK_FEAT_AVX512BW) }
    public var avx512vl: Bool { has(CK_FEAT_AVX512VL) }
    public var avx512dq: Bool { has(CK_FEAT_AVX512DQ) }
    public var avx512vnni: Bool { has(CK_FEAT_AVX512VNNI) }
    public var avxvnni: Bool { has(CK_FEAT_AVXVNNI) }

    /// AVX2 + FMA + F16C: what the avx2 kernels need.
    public var avx2Level: Bool { avx2 && fma && f16c }
    /// Everything the avx512 kernels need (VNNI included: LLVM may form vpdpwssd from plain code).
    public var avx512: Bool { avx2Level && avx512f && avx512bw && avx512vl && avx512dq && avx512vnni }

    var missingForAVX2: [String] {
        [("AVX2", avx2), ("FMA", fma), ("F16C", f16c)].filter { !$0.1 }.map(\.0)
    }
    var missingForAVX512: [String] {
        missingForAVX2 + [("AVX512F", avx512f), ("AVX512BW", avx512bw), ("AVX512VL", avx512vl),
                          ("AVX512DQ", avx512dq), ("AVX512-VNNI", avx512vnni)].filter { !$0.1 }.map(\.0)
    }

    public var description: String {
        let names = [("avx2", avx2), ("fma", fma), ("f16c", f16c), ("avx512f", avx512f), ("avx512bw", avx512bw),
                     ("avx512vl", avx512vl), ("avx512dq", avx512dq), ("avx512vnni", avx512vnni), ("avxvnni", avxvnni)]
        let on = names.filter { $0.1 }.map(\.0)
        return on.isEmpty ? "no SIMD extensions used" : on.joined(separator: " ")
    }
}
