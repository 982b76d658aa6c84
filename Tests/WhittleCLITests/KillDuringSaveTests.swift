import Foundation
import XCTest

/// `kill -9` in the middle of `m:save`: the destination is the old file or the complete
/// new one, never a partial one, and what the killed process leaves behind is a hidden
/// temp file that no load picks up and the next save removes.
final class KillDuringSaveTests: XCTestCase {
    /// About 64 MB of f32 weights, saved over and over until the test kills the process.
    static let saveLoop = """
        local m = whittle.nn.sequential{ whittle.nn.linear(2048, 2048, {seed = 1}), whittle.nn.linear(2048, 2048, {seed = 2}),
                                         whittle.nn.linear(2048, 2048, {seed = 3}), whittle.nn.linear(2048, 2048, {seed = 4}) }
        io.stderr:write("built\\n"); io.stderr:flush()
        for i = 1, 200 do m:save("model.safetensors") end
        """
    static let check = """
        local m = whittle.load("model.safetensors")
        local n = 0
        for _, t in pairs(m:parameters()) do n = n + t:numel() end
        print(#m, n)
        """

    func testKilledSaveLeavesOldOrCompleteFile() throws {
        let dir = try CLI.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let setup = try CLI.run(["run", "-e", "whittle.nn.sequential{whittle.nn.linear(3, 2)}:save('model.safetensors')"], directory: dir)
        XCTAssertEqual(setup.status, 0, setup.stderr)
        let old = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
        let newParameters = 4 * (2048 * 2048 + 2048)

        for round in 0..<3 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.executable)
            process.arguments = ["run", "-e", Self.saveLoop]
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Kill while a temp file is being written: as soon as one appears (round 0),
            // once it holds data (round 1), or half way through a save that replaces an
            // already complete new file (round 2).
            let wanted = [0, 1, 32 << 20][round]
            let deadline = Date().addingTimeInterval(60)
            var killed = false
            while Date() < deadline && process.isRunning {
                let replaced = (fileSize(dir + "/model.safetensors") ?? 0) > old.count
                if round < 2 || replaced, let size = temporaries(dir).compactMap({ fileSize(dir + "/" + $0) }).max(), size >= wanted {
                    kill(process.processIdentifier, SIGKILL)
                    killed = true
                    break
                }
                usleep(500)
            }
            if !killed { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            XCTAssertTrue(killed, "round \(round): never saw a save in progress")
            XCTAssertEqual(process.terminationReason, .uncaughtSignal)
            XCTAssertEqual(process.terminationStatus, SIGKILL)

            // The destination is the old file byte for byte, or the complete new model.
            let now = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
            XCTAssertTrue(round < 2 || now != old, "round 2 kills after a complete save")
            if now != old {
                let loaded = try CLI.run(["run", "-e", Self.check], directory: dir)
                XCTAssertEqual(loaded.status, 0, loaded.stderr)
                XCTAssertEqual(loaded.stdout, "4\t\(newParameters)\n", "round \(round)")
            }
            // What the killed process left is hidden, does not look like a model, and loads never see it.
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name != "model.safetensors" {
                XCTAssertTrue(name.hasPrefix(".model.safetensors.tmp-"), name)
                XCTAssertFalse(name.hasSuffix(".safetensors"), name)
            }
        }
        // A later save removes the dead writers' temp files and completes.
        let finish = try CLI.run(["run", "-e", "whittle.nn.sequential{whittle.nn.linear(3, 2)}:save('model.safetensors')"], directory: dir)
        XCTAssertEqual(finish.status, 0, finish.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["model.safetensors"])
    }

    private func temporaries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(".model.safetensors.tmp-") }
    }

    private func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
    }
}
