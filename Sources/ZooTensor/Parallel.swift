import Dispatch
import Foundation

/// The engine's threading policy, in one place.
///
/// One pool of `threadCount` threads does everything: OpenBLAS runs with the same count inside
/// each GEMM call, and the engine's own kernels (im2col, depthwise, pooling, batch norm,
/// element-wise work) split their loops over the same count through `Parallel.forEach`.
/// The two never run at the same time, because kernels never call GEMM from inside a parallel
/// loop, so the cores are never oversubscribed.
public enum Parallel {
    /// Threads used by kernels and by OpenBLAS: `ZOO_NUM_THREADS` if set, else every core.
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["ZOO_NUM_THREADS"], let value = Int(text),
            value > 0
        {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(chunk)` for every chunk in `0..<chunks`, spread over the pool.
    @inline(__always)
    static func forEach(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 1 || threadCount == 1 {
            for chunk in 0..<chunks { body(chunk) }
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
        }
    }

    /// Splits `0..<count` into contiguous ranges of at least `grain` items, one or a few per
    /// thread, and runs `body` on each.
    @inline(__always)
    static func ranges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let pieces = min(threadCount, max(1, count / max(grain, 1)))
        if pieces == 1 {
            body(0..<count)
            return
        }
        forEach(pieces) { piece in
            let start = count * piece / pieces
            let end = count * (piece + 1) / pieces
            if start < end { body(start..<end) }
        }
    }
}
