// WhittleData's tests live here (one test target per source layer pair); they need
// "WhittleData" in this target's dependencies in Package.swift.
#if canImport(WhittleData)
import Foundation
import WhittleData
import WhittleFormats
import WhittleTensor
import XCTest

final class DatasetTests: XCTestCase {
    private func toy(_ n: Int) throws -> Dataset {
        let x = try Tensor(shape: [n, 1, 2, 2], values: (0..<(4 * n)).map(Float.init))
        let y = try Tensor(shape: [n], values: (0..<n).map { Float($0 % 10) })
        return try Dataset(images: x, labels: y)
    }

    func testCountMismatchIsAnError() throws {
        assertThrows(DataError.countMismatch(images: 3, labels: 2),
                     message: "dataset: 3 images but 2 labels; the files do not belong together") {
            _ = try Dataset(images: try Tensor(zeros: [3, 4]), labels: try Tensor(zeros: [2]))
        }
        assertThrows(DataError.invalidShape("labels must be 1-D, got shape 2x1")) {
            _ = try Dataset(images: try Tensor(zeros: [2, 4]), labels: try Tensor(zeros: [2, 1]))
        }
    }

    func testTakeSharesStorageAndClamps() throws {
        let d = try toy(5)
        let t = try d.take(2)
        XCTAssertEqual(t.count, 2)
        XCTAssertEqual(t.images.shape, [2, 1, 2, 2])
        XCTAssertEqual(t.images.toArray(), (0..<8).map(Float.init))
        XCTAssertEqual(t.labels.toArray(), [0, 1])
        XCTAssertEqual(try d.take(99).count, 5)
        assertThrows(DataError.invalidArgument("take: count must be >= 0, got -1"), message: "take: count must be >= 0, got -1") { _ = try d.take(-1) }
    }

    func testBatchesInOrderIncludeThePartialLastBatch() throws {
        let d = try toy(5)
        let b = Array(try d.batches(size: 2, shuffle: false, seed: 0))
        XCTAssertEqual(b.map(\.x.shape), [[2, 1, 2, 2], [2, 1, 2, 2], [1, 1, 2, 2]])
        XCTAssertEqual(b.flatMap { $0.y.toArray() }, [0, 1, 2, 3, 4])
        XCTAssertEqual(b[2].x.toArray(), [16, 17, 18, 19])
        assertThrows(DataError.invalidArgument("batches: size must be >= 1, got 0")) { _ = try d.batches(size: 0) }
    }

    func testShuffleIsASeededPermutationKeepingPairsTogether() throws {
        let d = try toy(50)
        let a = Array(try d.batches(size: 7, shuffle: true, seed: 1))
        let again = Array(try d.batches(size: 7, shuffle: true, seed: 1))
        let other = Array(try d.batches(size: 7, shuffle: true, seed: 2))
        let order = a.flatMap { $0.x.toArray() }.enumerated().filter { $0.offset % 4 == 0 }.map { Int($0.element) / 4 }
        XCTAssertEqual(order.sorted(), Array(0..<50), "every sample exactly once")
        XCTAssertNotEqual(order, Array(0..<50), "actually shuffled")
        XCTAssertEqual(a.flatMap { $0.x.toArray() }, again.flatMap { $0.x.toArray() }, "same seed, same order")
        XCTAssertNotEqual(a.flatMap { $0.x.toArray() }, other.flatMap { $0.x.toArray() }, "other seed, other order")
        XCTAssertEqual(a.flatMap { $0.y.toArray() }, order.map { Float($0 % 10) }, "labels follow their images")
    }

    func testNormalizationAndStatistics() throws {
        let d = try Dataset(images: try Tensor(shape: [2, 2], values: [1, 3, 5, 7]), labels: try Tensor(shape: [2], values: [0, 1]))
        let s = d.statistics()
        XCTAssertEqual(s.mean, 4)
        XCTAssertEqual(s.std, Float(5).squareRoot(), accuracy: 1e-6)
        let n = try d.normalized(mean: s.mean, std: s.std)
        XCTAssertEqual(n.statistics().mean, 0, accuracy: 1e-6)
        XCTAssertEqual(n.statistics().std, 1, accuracy: 1e-6)
        XCTAssertEqual(d.images.toArray(), [1, 3, 5, 7], "the original is unchanged")
    }

    func testIDXPairScalesAndAddsAChannel() throws {
        let dir = try makeTempDir(self)
        let img = try writeFile(gzip(idxImage(code: 0x08, dims: [2, 2, 2], data: [0, 51, 102, 255, 255, 0, 0, 0])), dir, "i.gz")
        let lab = try writeFile(idxImage(code: 0x08, dims: [2], data: [7, 3]), dir, "l")
        let d = try Dataset.idxPair(images: img, labels: lab)
        XCTAssertEqual(d.images.shape, [2, 1, 2, 2])
        XCTAssertEqual(d.images.toArray(), [0, 0.2, 0.4, 1, 1, 0, 0, 0])
        XCTAssertEqual(d.labels.toArray(), [7, 3])
        let bad = try writeFile(idxImage(code: 0x08, dims: [3], data: [1, 2, 3]), dir, "l3")
        assertThrows(DataError.countMismatch(images: 2, labels: 3)) { _ = try Dataset.idxPair(images: img, labels: bad) }
    }

    func testBundledMNISTLoadsFastAndCompletely() throws {
        let start = Date()
        let m = try MNIST.load()
        let seconds = Date().timeIntervalSince(start)
        print("MNIST.load(): \(String(format: "%.3f", seconds)) s")
        XCTAssertEqual(m.train.images.shape, [60000, 1, 28, 28])
        XCTAssertEqual(m.test.images.shape, [10000, 1, 28, 28])
        XCTAssertEqual(m.train.labels.shape, [60000])
        // Known facts of MNIST: the first training labels and the class counts of the test set.
        XCTAssertEqual(Array(m.train.labels.toArray().prefix(8)), [5, 0, 4, 1, 9, 2, 1, 3])
        var counts = [Int](repeating: 0, count: 10)
        for v in m.test.labels.toArray() { counts[Int(v)] += 1 }
        XCTAssertEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        let px = m.train.images.toArray()
        XCTAssertEqual(px.min(), 0)
        XCTAssertEqual(px.max(), 1)
        XCTAssertLessThan(seconds, 3, "release loading should take well under a second")
    }

    func testWhittleDataOverridesTheSearch() throws {
        let dir = try makeTempDir(self)
        setenv("WHITTLE_DATA", dir, 1)
        defer { unsetenv("WHITTLE_DATA") }
        XCTAssertThrowsError(try MNIST.locate()) { e in
            XCTAssertTrue("\(e)".hasPrefix("dataset: WHITTLE_DATA is set but \(dir)/mnist does not hold the MNIST files"), "\(e)")
        }
    }
}
#endif
