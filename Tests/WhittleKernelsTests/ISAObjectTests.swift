import XCTest
import Foundation

/// The release binary must run on any x86-64 CPU: only CKernels' AVX-512 object may use zmm
/// registers, and only the two ISA objects may use ymm. Checked on the objects of this build.
final class ISAObjectTests: XCTestCase {
    /// The build directory holding `<Target>.build/*.o` (the test bundle sits next to them).
    func buildDirectory() -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    func objects(in dir: URL) -> [URL] {
        let fm = FileManager.default
        guard let targets = try? fm.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return targets.filter { $0.pathExtension == "build" }.flatMap { t in
            ((try? fm.contentsOfDirectory(at: t, includingPropertiesForKeys: nil)) ?? []).filter { $0.pathExtension == "o" }
        }
    }

    /// Counts of instructions naming %zmm and %ymm registers in one object (objdump -d).
    func registerUse(_ object: URL) throws -> (zmm: Int, ymm: Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["objdump", "-d", "--no-show-raw-insn", object.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "objdump failed on \(object.lastPathComponent)")
        var zmm = 0, ymm = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if line.contains("%zmm") { zmm += 1 }
            if line.contains("%ymm") { ymm += 1 }
        }
        return (zmm, ymm)
    }

    func testWideRegistersOnlyInTheISAObjects() throws {
        #if arch(x86_64)
        let objs = objects(in: buildDirectory())
        XCTAssertTrue(objs.contains { $0.lastPathComponent == "isa_avx512.c.o" }, "CKernels objects not found in \(buildDirectory().path)")
        var checked = 0
        for o in objs {
            let name = o.lastPathComponent, (zmm, ymm) = try registerUse(o)
            checked += 1
            switch name {
            case "isa_avx512.c.o":
                XCTAssertGreaterThan(zmm, 0, "the AVX-512 kernels should use zmm registers")
            case "isa_avx2.c.o":
                XCTAssertEqual(zmm, 0, "zmm in the AVX2 kernels")
                XCTAssertGreaterThan(ymm, 0, "the AVX2 kernels should use ymm registers")
            default:
                XCTAssertEqual(zmm, 0, "zmm registers in \(o.deletingLastPathComponent().lastPathComponent)/\(name)")
                XCTAssertEqual(ymm, 0, "ymm registers in \(o.deletingLastPathComponent().lastPathComponent)/\(name)")
            }
        }
        XCTAssertGreaterThan(checked, 10)
        #endif
    }
}
