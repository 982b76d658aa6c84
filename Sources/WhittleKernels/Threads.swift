import Foundation
import Dispatch

/// The kernels' thread count, set from Lua by `whittle.threads(n)`.
public enum KernelThreads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var current = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Threads the kernels may use (at least 1).
    public static var count: Int {
        get { lock.lock(); defer { lock.unlock() }; return current }
        set { lock.lock(); current = max(1, newValue); lock.unlock() }
    }

    /// Runs `body(chunk)` for chunk in 0..<chunks on up to `count` threads.
    /// The one audited place where kernels hand unsafe pointers to other threads.
    public static func parallelFor(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 0 { return }
        if chunks == 1 || count == 1 {
            for i in 0..<chunks { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: chunks) { work($0) }
        }
    }
}
