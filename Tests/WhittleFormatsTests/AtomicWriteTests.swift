import Foundation
import WhittleFormats
import WhittleTensor
import XCTest

/// A failed write leaves nothing behind and never damages an existing file.
final class AtomicWriteTests: XCTestCase {
    private func listing(_ dir: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    func testWriteIntoMissingDirectoryFailsCleanly() throws {
        let dir = try makeTempDir(self)
        let t = try Tensor(shape: [2], values: [1, 2])
        XCTAssertThrowsError(try Safetensors.write([("t", t)], metadata: [:], to: dir + "/missing/out.safetensors")) { e in
            XCTAssertTrue("\(e)".hasPrefix("cannot write '\(dir)/missing/out.safetensors': cannot create a temporary file in '\(dir)/missing'"), "\(e)")
        }
        XCTAssertEqual(try listing(dir), [])
    }

    func testInvalidTensorListKeepsExistingFileAndLeavesNoTemp() throws {
        let dir = try makeTempDir(self)
        let path = dir + "/model.safetensors"
        let t = try Tensor(shape: [2], values: [1, 2])
        try Safetensors.write([("t", t)], metadata: ["v": "1"], to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Safetensors.write([("t", t), ("t", t)], metadata: [:], to: path))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try listing(dir), ["model.safetensors"])
    }

    func testFailureMidWriteRemovesTempAndKeepsDestination() throws {
        struct Boom: Error {}
        let dir = try makeTempDir(self)
        let path = dir + "/data.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        XCTAssertThrowsError(try AtomicFile.write(to: path) { sink in
            try sink.write([9, 9, 9, 9, 9])
            XCTAssertEqual(try self.listing(dir).count, 2, "the temp file exists while writing")
            throw Boom()
        })
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([1, 2, 3]))
        XCTAssertEqual(try listing(dir), ["data.bin"])
    }

    func testRenameOntoADirectoryFailsAndCleansUp() throws {
        let dir = try makeTempDir(self)
        try FileManager.default.createDirectory(atPath: dir + "/taken", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: dir + "/taken/child", withIntermediateDirectories: false)
        XCTAssertThrowsError(try AtomicFile.write([1], to: dir + "/taken"))
        XCTAssertEqual(try listing(dir), ["taken"])
    }

    func testSuccessfulWriteReplacesAndIsReadable() throws {
        let dir = try makeTempDir(self)
        let path = dir + "/f"
        try AtomicFile.write([1, 2], to: path)
        try AtomicFile.write(Data([3, 4, 5]), to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([3, 4, 5]))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o644)
        XCTAssertEqual(try listing(dir), ["f"])
    }
}
