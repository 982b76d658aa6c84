import XCTest
import WhittleKernels

/// ISA selection: names, the WHITTLE_ISA override and its errors.
final class KernelISATests: XCTestCase {
    func testNamesAndEnvironment() throws {
        XCTAssertEqual(KernelISA(name: "AVX2"), .avx2)
        XCTAssertNil(KernelISA(name: "sse"))
        XCTAssertEqual(try KernelISA.fromEnvironment([:]).get(), KernelISA.best)
        XCTAssertEqual(try KernelISA.fromEnvironment(["WHITTLE_ISA": "scalar"]).get(), .scalar)
        guard case let .failure(error) = KernelISA.fromEnvironment(["WHITTLE_ISA": "avx1024"]) else { return XCTFail("accepted avx1024") }
        XCTAssertEqual("\(error)", "WHITTLE_ISA must be scalar, avx2 or avx512, got 'avx1024'")
    }

    func testLevelsAboveTheCPUAreRefusedWithTheMissingFeatures() throws {
        XCTAssertTrue(KernelISA.supported.contains(.scalar))
        for isa in KernelISA.allCases where isa > KernelISA.best {
            XCTAssertThrowsError(try KernelISA.force(isa)) { error in
                XCTAssertTrue("\(error)".contains("this CPU lacks"), "\(error)")
            }
        }
        let before = KernelISA.active
        try KernelISA.with(.scalar) { XCTAssertEqual(KernelISA.active, .scalar) }
        XCTAssertEqual(KernelISA.active, before)
    }

    /// cpuid/xgetbv detection agrees with the kernel's own view in /proc/cpuinfo (Linux x86).
    func testDetectionMatchesProcCpuinfo() throws {
        #if arch(x86_64) && os(Linux)
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        guard let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return XCTFail("no flags line") }
        let flags = Set(line.split(separator: " ").map(String.init))
        let f = KernelISA.features
        XCTAssertEqual(f.avx2, flags.contains("avx2"))
        XCTAssertEqual(f.fma, flags.contains("fma"))
        XCTAssertEqual(f.f16c, flags.contains("f16c"))
        XCTAssertEqual(f.avx512f, flags.contains("avx512f"))
        XCTAssertEqual(f.avx512bw, flags.contains("avx512bw"))
        XCTAssertEqual(f.avx512vl, flags.contains("avx512vl"))
        XCTAssertEqual(f.avx512vnni, flags.contains("avx512_vnni"))
        XCTAssertEqual(KernelISA.best >= .avx2, f.avx2 && f.fma && f.f16c)
        #endif
    }
}
