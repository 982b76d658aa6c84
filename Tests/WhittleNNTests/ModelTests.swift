import WhittleNN
import WhittleTensor
import XCTest

final class ModelTests: XCTestCase {
    private func lenet5ish() throws -> Model {
        var g = SeededGenerator(seed: 1)
        return Model([try Conv2d(1, 4, kernel: 5, generator: &g), try MaxPool2d(2), ReLU(), Flatten(),
                      try Linear(4 * 6 * 6, 10, generator: &g), try Dropout(0.5), Softmax()])
    }

    func testParameterNamesFollowPaths() throws {
        let m = try lenet5ish()
        XCTAssertEqual(m.parameters().map(\.name), ["0.weight", "0.bias", "4.weight", "4.bias"])
        let fc = try Linear(3, 2)
        fc.name = "fc1"
        let nested = Model([Sequential([Flatten(), fc]), ReLU()])
        XCTAssertEqual(nested.parameters().map(\.name), ["0.fc1.weight", "0.fc1.bias"])
        XCTAssertTrue(nested.parameter(named: "0.fc1.weight") === fc.weight)
    }

    func testCloneIsDeep() throws {
        let m = try lenet5ish()
        try m.parameters()[0].parameter.setMask(try Tensor(zeros: [4, 1, 5, 5]))
        let c = try m.clone()
        c.parameters()[2].parameter.value.floats[0] += 1
        XCTAssertNotEqual(c.parameters()[2].parameter.value.floats[0], m.parameters()[2].parameter.value.floats[0])
        XCTAssertNotNil(c.parameters()[0].parameter.mask)
        let x = try randn([2, 1, 16, 16], seed: 3)
        m.setTraining(false); c.setTraining(false)
        c.parameters()[2].parameter.value.floats[0] -= 1
        XCTAssertEqual(try m.forward(x).toArray(), try c.forward(x).toArray())
    }

    func testSummaryCountsParametersBytesAndSparsity() throws {
        let m = Model([Flatten(), try Linear(10, 4), ReLU(), try Linear(4, 2, bias: false)])
        try XCTUnwrap(m.parameter(named: "1.weight")).setMask(
            try Tensor(shape: [4, 10], values: (0..<40).map { $0 < 10 ? 0 : 1 }))
        let s = m.summary()
        XCTAssertEqual(s.layers.map(\.path), ["0", "1", "2", "3"])
        XCTAssertEqual(s.layers[1].parameters, 44)
        XCTAssertEqual(s.layers[1].bytes, 176)
        XCTAssertEqual(s.layers[3].parameters, 8)
        XCTAssertEqual(s.parameters, 52)
        XCTAssertEqual(s.layers[1].dtype, "f32")
        XCTAssertEqual(s.layers[0].dtype, "-")
        XCTAssertEqual(s.sparsity, 10.0 / 52, accuracy: 1e-12)
        XCTAssertTrue(s.description.contains("linear(10 -> 4)"))
        XCTAssertTrue(s.description.contains("total"))
    }

    func testArchitectureRoundTrip() throws {
        let m = try lenet5ish()
        let json = m.architectureJSON
        XCTAssertTrue(json.contains("\"type\":\"conv2d\""))
        let stored = Dictionary(uniqueKeysWithValues: m.parameters().map { ($0.name, $0.parameter.value) })
        let back = Model(try Architecture.decode(json) { stored[$0] })
        XCTAssertEqual(back.architectureJSON, json)
        let x = try randn([3, 1, 16, 16], seed: 4)
        m.setTraining(false); back.setTraining(false)
        XCTAssertEqual(try m.forward(x).toArray(), try back.forward(x).toArray())
    }

    func testArchitectureErrors() throws {
        func message(_ json: String, _ tensors: [String: Tensor] = [:]) -> String {
            do { _ = try Architecture.decode(json) { tensors[$0] }; return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("[{\"type\":\"lstm\"}]").contains("unknown layer type 'lstm'"))
        XCTAssertTrue(message("{}").contains("JSON array"))
        XCTAssertTrue(message("[{\"type\":\"linear\",\"in\":3,\"out\":2}]").contains("no tensor '0.weight'"))
        let w = try Tensor(zeros: [2, 4]), b = try Tensor(zeros: [2])
        XCTAssertTrue(message("[{\"type\":\"linear\",\"in\":3,\"out\":2}]", ["0.weight": w, "0.bias": b])
            .contains("weight has shape 2x4, the architecture says 2x3"))
        XCTAssertTrue(message("[{\"type\":\"linear\",\"in\":\"x\",\"out\":2}]").contains("'in' must be an integer"))
        XCTAssertTrue(message("not json").contains("not valid JSON"))
        XCTAssertTrue(message("[{\"type\":\"maxpool2d\",\"kernel\":0}]").contains("layer 0 (maxpool2d): maxpool2d: 'kernel' must be in"))
        XCTAssertTrue(message("[{\"type\":\"dropout\",\"p\":1.5}]").contains("'p' must be in [0, 1)"))
    }
}
