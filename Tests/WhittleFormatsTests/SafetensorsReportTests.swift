import WhittleFormats
import WhittleTensor
import XCTest

/// The text `whittle inspect` prints.
final class SafetensorsReportTests: XCTestCase {
    func testReportListsTensorsMetadataAndLayers() throws {
        let dir = try makeTempDir(self)
        let path = dir + "/m.safetensors"
        let arch = #"[{"type":"flatten"},{"type":"linear","in":4,"out":2},{"type":"relu"}]"#
        try Safetensors.write([("1.weight", try Tensor(zeros: [2, 4])), ("1.bias", try Tensor(zeros: [2])),
                               ("q", try Tensor(zeros: [3], dtype: .i8))],
                              metadata: ["whittle.architecture": arch, "whittle.version": "0.1"], to: path)
        let text = try SafetensorsReport.render(try SafetensorsFile.open(path), fileBytes: 42)
        XCTAssertEqual(text, """
        \(path) (42 bytes)

        tensors: 3, 13 elements, 43 bytes
          name      dtype  shape   bytes
          1.bias    f32    [2]         8
          1.weight  f32    [2, 4]     32
          q         i8     [3]         3

        metadata: 2 entries
          whittle.architecture: (layer table below)
          whittle.version: 0.1

        layers: 3
          #  type     options
          0  flatten
          1  linear   in=4 out=2
          2  relu

        """)
    }

    func testForeignFileWithUnsupportedDType() throws {
        let text = try SafetensorsReport.render(try SafetensorsFile.open(fixturePath("numpy_u16.safetensors")))
        XCTAssertTrue(text.contains("unsupported.u16  U16 (unsupported)  [2]"), text)
        XCTAssertTrue(text.contains("metadata: none"), text)
        XCTAssertFalse(text.contains("layers:"), text)
    }

    func testMalformedArchitectureIsAnError() throws {
        let dir = try makeTempDir(self)
        let cases = [("[{\"type\":", "whittle.architecture is not valid JSON: unexpected end of input at byte 9"),
                     ("[{\"in\":3}]", "whittle.architecture layer 0 is not an object with a string \"type\""),
                     ("3", "whittle.architecture is not a JSON array of layers")]
        for (i, (arch, message)) in cases.enumerated() {
            let path = dir + "/bad\(i).safetensors"
            try Safetensors.write([], metadata: ["whittle.architecture": arch], to: path)
            assertThrows(SafetensorsReport.ArchitectureError(description: message)) {
                _ = try SafetensorsReport.render(try SafetensorsFile.open(path))
            }
        }
    }
}
