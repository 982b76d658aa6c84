import Foundation
import WhittleData
import WhittleFormats
import WhittleNN
import WhittleTensor
import XCTest

final class ModelFileTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "whittle-nn-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func testSaveLoadRoundTripGivesIdenticalOutputs() throws {
        var g = SeededGenerator(seed: 3)
        let fc = try Linear(4 * 5 * 5, 10, generator: &g)
        fc.name = "fc"
        let m = Model([try Conv2d(1, 4, kernel: 3, padding: 1, generator: &g), ReLU(), try MaxPool2d(2), Flatten(), fc, try Dropout(0.2)])
        m.metadata["recipe"] = "test"
        let path = dir + "/m.safetensors"
        try m.save(to: path)
        let file = try SafetensorsFile.open(path)
        XCTAssertEqual(file.metadata[Model.versionKey], "0.1.0")
        XCTAssertEqual(Set(file.entries.map(\.name)), ["0.weight", "0.bias", "fc.weight", "fc.bias"])
        let back = try Model.load(path)
        XCTAssertEqual(back.metadata, ["recipe": "test"])
        XCTAssertEqual(back.architectureJSON, m.architectureJSON)
        let x = try randn([2, 1, 10, 10], seed: 5)
        m.setTraining(false); back.setTraining(false)
        XCTAssertEqual(try m.forward(x).toArray(), try back.forward(x).toArray())
        // Loaded parameters are writable copies: training must not touch the file.
        try back.parameters()[0].parameter.value.floats[0] = 42
        XCTAssertNotEqual(try SafetensorsFile.open(path).tensor(named: "0.weight").element(at: 0), 42)
    }

    func testLoadRejectsForeignAndInconsistentFiles() throws {
        let plain = dir + "/plain.safetensors"
        try Safetensors.write([(name: "w", tensor: try Tensor(zeros: [2, 2]))], metadata: [:], to: plain)
        XCTAssertThrowsError(try Model.load(plain)) { XCTAssertTrue("\($0)".contains("not a Whittle model"), "\($0)") }

        let arch = "[{\"type\":\"linear\",\"in\":3,\"out\":2}]"
        let wrong = dir + "/wrong.safetensors"
        try Safetensors.write([(name: "0.weight", tensor: try Tensor(zeros: [2, 4])), (name: "0.bias", tensor: try Tensor(zeros: [2]))],
                              metadata: [Model.architectureKey: arch], to: wrong)
        XCTAssertThrowsError(try Model.load(wrong)) { XCTAssertTrue("\($0)".contains("2x4, the architecture says 2x3"), "\($0)") }

        let extra = dir + "/extra.safetensors"
        try Safetensors.write([(name: "0.weight", tensor: try Tensor(zeros: [2, 3])), (name: "0.bias", tensor: try Tensor(zeros: [2])),
                               (name: "junk", tensor: try Tensor(zeros: [1]))], metadata: [Model.architectureKey: arch], to: extra)
        XCTAssertThrowsError(try Model.load(extra)) { XCTAssertTrue("\($0)".contains("'junk' is not used"), "\($0)") }

        let unknown = dir + "/unknown.safetensors"
        try Safetensors.write([], metadata: [Model.architectureKey: "[{\"type\":\"gru\"}]"], to: unknown)
        XCTAssertThrowsError(try Model.load(unknown)) { XCTAssertTrue("\($0)".contains("unknown layer type 'gru'"), "\($0)") }
    }

    func testTrainsOnAWhittleDataset() throws {
        let src = try blobs(n: 120, features: 6, classes: 2, seed: 2)
        let data = try Dataset(images: src.x, labels: src.y)
        var g = SeededGenerator(seed: 1)
        let m = Model([try Linear(6, 2, generator: &g)])
        var opts = TrainOptions()
        opts.epochs = 3; opts.learningRate = 0.1; opts.verbose = false
        try train(m, data, opts)
        let e = try evaluate(m, data, batchSize: 50)
        XCTAssertEqual(e.count, 120)
        XCTAssertGreaterThan(e.accuracy, 0.9)
    }
}
