import Foundation
import XCTest
import WhittleKernels

/// KernelThreads.parallelFor over the persistent pool: every chunk exactly once, nested and
/// concurrent calls, thread-count changes, and results visible to the caller on return.
final class ThreadPoolTests: XCTestCase {
    private var savedCount = 1
    override func setUp() { savedCount = KernelThreads.count }
    override func tearDown() { KernelThreads.count = savedCount }

    /// Runs parallelFor(chunks) and returns how often each chunk ran.
    private func hits(_ chunks: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: chunks)
        counts.withUnsafeMutableBufferPointer { c in
            let p = c.baseAddress
            KernelThreads.parallelFor(chunks) { i in p.unsafelyUnwrapped[i] += 1 }
        }
        return counts
    }

    func testEveryChunkRunsExactlyOnce() {
        for threads in [2, 3, 4] {
            KernelThreads.count = threads
            for chunks in [2, 3, 7, 64, 1000, 10007] {
                XCTAssertEqual(hits(chunks), [Int](repeating: 1, count: chunks), "\(threads) threads, \(chunks) chunks")
            }
        }
    }

    func testZeroAndOneChunk() {
        KernelThreads.count = 2
        var calls = 0
        KernelThreads.parallelFor(0) { _ in calls += 1 }
        KernelThreads.parallelFor(-3) { _ in calls += 1 }
        XCTAssertEqual(calls, 0)
        let caller = pthread_self()
        var sameThread = false, index = -1
        KernelThreads.parallelFor(1) { i in index = i; sameThread = pthread_equal(pthread_self(), caller) != 0 }
        XCTAssertEqual(index, 0)
        XCTAssertTrue(sameThread, "a single chunk runs on the calling thread")
    }

    /// Many tiny jobs back to back: each one's writes are visible when parallelFor returns, and
    /// no chunk of one job leaks into the next (the race a reused job slot would expose).
    func testBackToBackSmallJobs() {
        KernelThreads.count = 2
        var out = [Int](repeating: 0, count: 4)
        for round in 1...20000 {
            out.withUnsafeMutableBufferPointer { o in
                let p = o.baseAddress.unsafelyUnwrapped
                KernelThreads.parallelFor(4) { i in p[i] = round * 4 + i }
            }
            if out != [round * 4, round * 4 + 1, round * 4 + 2, round * 4 + 3] {
                XCTFail("round \(round): \(out)"); return
            }
        }
    }

    /// The caller returns only after every chunk finished, however slow the chunks a worker took.
    func testReturnsAfterSlowChunks() {
        KernelThreads.count = 3
        for round in 0..<20 {
            var done = [Bool](repeating: false, count: 6)
            done.withUnsafeMutableBufferPointer { d in
                let p = d.baseAddress.unsafelyUnwrapped
                KernelThreads.parallelFor(6) { i in
                    if (i + round) % 3 == 0 { usleep(2000) }
                    p[i] = true
                }
            }
            XCTAssertEqual(done, [Bool](repeating: true, count: 6), "round \(round)")
        }
    }

    func testNestedCallsRunInline() {
        KernelThreads.count = 3
        let outer = 12, inner = 9
        var counts = [Int](repeating: 0, count: outer * inner)
        counts.withUnsafeMutableBufferPointer { c in
            let p = c.baseAddress.unsafelyUnwrapped
            KernelThreads.parallelFor(outer) { o in
                let thread = pthread_self()
                KernelThreads.parallelFor(inner) { i in
                    XCTAssertTrue(pthread_equal(pthread_self(), thread) != 0, "nested chunk left its thread")
                    p[o * inner + i] += 1
                }
            }
        }
        XCTAssertEqual(counts, [Int](repeating: 1, count: outer * inner))
    }

    func testConcurrentCallersDoNotMix() {
        KernelThreads.count = 2
        let callers = 4, rounds = 2000, chunks = 33
        // Each caller stores its sums under the lock; the box only makes that visible to the compiler.
        final class Results: @unchecked Sendable { var rows: [[Int]]; init(_ n: Int) { rows = Array(repeating: [], count: n) } }
        let results = Results(callers)
        let lock = NSLock()
        let group = DispatchGroup()
        for c in 0..<callers {
            group.enter()
            let thread = Thread {
                var sums = [Int](repeating: 0, count: chunks)
                sums.withUnsafeMutableBufferPointer { s in
                    let p = s.baseAddress.unsafelyUnwrapped
                    for r in 0..<rounds { KernelThreads.parallelFor(chunks) { i in p[i] += c * 1000 + r } }
                }
                lock.lock(); results.rows[c] = sums; lock.unlock()
                group.leave()
            }
            thread.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success, "concurrent callers deadlocked")
        for c in 0..<callers {
            let expected = (0..<rounds).reduce(0) { $0 + c * 1000 + $1 }
            XCTAssertEqual(results.rows[c], [Int](repeating: expected, count: chunks), "caller \(c)")
        }
    }

    func testThreadCountChangesResizeThePool() {
        for threads in [3, 2, 4, 1, 2] {
            KernelThreads.count = threads
            XCTAssertEqual(hits(50), [Int](repeating: 1, count: 50), "\(threads) threads")
            if threads > 1 { XCTAssertEqual(KernelThreads.poolWorkers, threads - 1, "\(threads) threads") }
        }
    }

    /// With one thread every chunk runs on the caller, in order.
    func testOneThreadRunsInOrderOnTheCaller() {
        KernelThreads.count = 1
        let caller = pthread_self()
        var order: [Int] = []
        KernelThreads.parallelFor(6) { i in
            XCTAssertTrue(pthread_equal(pthread_self(), caller) != 0)
            order.append(i)
        }
        XCTAssertEqual(order, Array(0..<6))
    }
}
