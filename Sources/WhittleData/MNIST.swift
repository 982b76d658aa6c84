import Foundation
import WhittleTensor

/// The MNIST digits bundled with Whittle in Data/mnist.
public enum MNIST {
    /// The four file names, as distributed.
    public static let files = ["train-images.idx3-ubyte.gz", "train-labels.idx1-ubyte.gz",
                               "t10k-images.idx3-ubyte.gz", "t10k-labels.idx1-ubyte.gz"]

    /// Loads the bundled train (60000) and test (10000) sets.
    public static func load() throws -> (train: Dataset, test: Dataset) {
        let dir = try locate()
        let paths = files.map { dir + "/" + $0 }
        // The two sets decompress independently: load them on both cores.
        var results: [Result<Dataset, Error>?] = [nil, nil]
        results.withUnsafeMutableBufferPointer { slots in
            let box = UnsafeSendable(slots)
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                box.value[k] = Result { try Dataset.idxPair(images: paths[2 * k], labels: paths[2 * k + 1]) }
            }
        }
        guard let train = results[0], let test = results[1] else { throw DataError.notFound("MNIST loading did not complete") }
        return (try train.get(), try test.get())
    }

    /// The directory holding the four files: `$WHITTLE_DATA/mnist`, then a `Data/mnist`
    /// beside the executable or any of its parents, then the source checkout.
    public static func locate() throws -> String {
        var tried: [String] = []
        func ok(_ dir: String) -> Bool {
            tried.append(dir)
            return files.allSatisfy { FileManager.default.fileExists(atPath: dir + "/" + $0) }
        }
        if let env = ProcessInfo.processInfo.environment["WHITTLE_DATA"], !env.isEmpty {
            let dir = env + "/mnist"
            if ok(dir) { return dir }
            throw DataError.notFound("WHITTLE_DATA is set but \(dir) does not hold the MNIST files (\(files.joined(separator: ", ")))")
        }
        if let exe = executablePath() {
            var dir = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
            while true {
                if ok(dir.appendingPathComponent("Data/mnist").path) { return dir.appendingPathComponent("Data/mnist").path }
                let up = dir.deletingLastPathComponent()
                if up.path == dir.path { break }
                dir = up
            }
        }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = repo.appendingPathComponent("Data/mnist").path
        if ok(dir) { return dir }
        throw DataError.notFound("cannot find the MNIST files; set WHITTLE_DATA to a directory containing mnist/ (looked in \(tried.joined(separator: ", ")))")
    }

    private static func executablePath() -> String? {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return Bundle.main.executablePath
    }
}

/// Lets the two loader threads write their own slot of one buffer.
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
