import XCTest
import Foundation

/// The release binary must run on any x86-64 CPU: only CKernels' AVX-512 object may use zmm
/// registers, and only the ISA objects (isa_*, tiles_*) may use ymm. Checked on the objects of this build.
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

    /// Mentions of %zmm and %ymm registers per object, from one objdump over all of them (grep keeps
    /// only the file headers and register names, so Swift reads a small stream).
    func registerUse(_ objects: [URL]) throws -> [String: (zmm: Int, ymm: Int)] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "objdump -d --no-show-raw-insn \"$@\" | grep -oE '^[^ ]+\\.o:|%(y|z)mm'", "sh"] + objects.map(\.path)
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var use: [String: (zmm: Int, ymm: Int)] = [:]
        var current = ""
        for token in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if token.hasSuffix(".o:") { current = String(token.dropLast()); use[current] = (0, 0) }
            else if token == "%zmm" { use[current, default: (0, 0)].zmm += 1 }
            else if token == "%ymm" { use[current, default: (0, 0)].ymm += 1 }
        }
        return use
    }

    func testWideRegistersOnlyInTheISAObjects() throws {
        #if arch(x86_64)
        let objs = objects(in: buildDirectory())
        XCTAssertTrue(objs.contains { $0.lastPathComponent == "isa_avx512.c.o" }, "CKernels objects not found in \(buildDirectory().path)")
        let use = try registerUse(objs)
        var checked = 0
        for o in objs {
            let name = o.lastPathComponent, target = o.deletingLastPathComponent().lastPathComponent
            guard let (zmm, ymm) = use[o.path] else { XCTFail("objdump did not read \(target)/\(name)"); continue }
            checked += 1
            switch name {
            case "isa_avx512.c.o":
                XCTAssertGreaterThan(zmm, 0, "the AVX-512 kernels should use zmm registers")
            case "tiles_avx512.c.o", "tiles_avx2.c.o":
                // The batched block tiles: ymm only (the AVX-512 level uses VNNI on ymm).
                XCTAssertEqual(zmm, 0, "zmm in \(name)")
                XCTAssertGreaterThan(ymm, 0, "the tile kernels should use ymm registers")
            case "isa_avx2.c.o", "isa_avxvnni.c.o":
                XCTAssertEqual(zmm, 0, "zmm in the AVX2 kernels")
                XCTAssertGreaterThan(ymm, 0, "the AVX2 kernels should use ymm registers")
            default:
                XCTAssertEqual(zmm, 0, "zmm registers in \(target)/\(name)")
                XCTAssertEqual(ymm, 0, "ymm registers in \(target)/\(name)")
            }
        }
        XCTAssertGreaterThan(checked, 10)
        #endif
    }
}
