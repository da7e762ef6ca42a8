import CDNNL
import Dispatch
import Foundation

/// The engine's threading policy, in one place.
///
/// One pool of `threadCount` threads does everything: libgomp's, the OpenMP runtime that oneDNN
/// runs its convolutions on, also runs Zoo's own loops (`Pool`). OpenBLAS is set to one thread and is
/// only ever called from the pool's threads, each call on its own block of the product (a
/// convolution's chunk of output rows, a matrix product's block of rows). Two pools would
/// oversubscribe: OpenBLAS's idle workers spin in `sched_yield` for a while after each call,
/// stealing the cores from the engine's own loops (measured: 16% of a convolution's time in
/// the scheduler). Splitting the product ourselves also beats OpenBLAS's own splitting on the
/// tall, narrow products of a CNN by up to 2x (docs/PERFORMANCE.md).
public enum Parallel {
    /// Threads used by kernels and by OpenBLAS: `ZOO_NUM_THREADS` if set, else every core, or
    /// the cores divided by the processes a launcher started on this machine (Open MPI's
    /// `OMPI_COMM_WORLD_LOCAL_SIZE`, MPICH's `MPI_LOCALNRANKS`): N ranks with every core each
    /// would oversubscribe the machine N times.
    public static let threadCount: Int = {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["ZOO_NUM_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        let local = ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"].lazy.compactMap { environment[$0].flatMap(Int.init) }.first ?? 1
        return max(1, ProcessInfo.processInfo.activeProcessorCount / max(local, 1))
    }()

    /// Runs `body(chunk)` for every chunk in `0..<chunks` on the pool (`Pool`), each chunk once.
    @inline(__always)
    public static func forEach(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 1 || threadCount == 1 {
            for chunk in 0..<chunks { body(chunk) }
        } else if pool == .dispatch || !openMPForEach(chunks, body) {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
        }
    }

    /// The threads that run Zoo's parallel loops.
    public enum Pool: String, CaseIterable, Sendable {
        /// libgomp's, which oneDNN's convolutions run on: between a convolution and the next
        /// loop its threads are still awake (GOMP_SPINCOUNT). With libdispatch's threads beside
        /// them, each change of pool woke a sleeping thread: DenseNet121 and MobileNetV2
        /// inference and ResNet18 training were 11-14% slower (docs/PERFORMANCE.md).
        case openmp
        /// libdispatch's (`concurrentPerform`): where oneDNN, and with it libgomp, is missing,
        /// or when `ZOO_POOL=dispatch` asks for it (to compare).
        case dispatch
    }

    /// `ZOO_POOL` (`openmp`, the default, or `dispatch`); a variable so that tests can run both.
    nonisolated(unsafe) public static var pool: Pool = {
        guard let text = ProcessInfo.processInfo.environment["ZOO_POOL"], !text.isEmpty else { return .openmp }
        guard let pool = Pool(rawValue: text) else { fatalError("ZOO_POOL=\(text) is not one of openmp, dispatch") }
        return pool
    }()

    /// Whose threads the loops run on, as `zoo --version` names them.
    public static var poolSummary: String {
        switch pool {
        case .dispatch: return "libdispatch's, ZOO_POOL=dispatch"
        case .openmp: return zoo_parallel_available() != 0 ? "libgomp's, shared with oneDNN" : "libdispatch's, without oneDNN"
        }
    }

    /// How long libgomp's idle threads spin before they sleep, as `zoo --version` names it: the
    /// environment's `OMP_WAIT_POLICY` or `GOMP_SPINCOUNT`, Zoo's 2,000 iterations for
    /// `ZOO_POOL=dispatch` (whose threads a spinning one would hold a core from), or libgomp's
    /// default (300,000: the spinning thread is the one Zoo's next loop wants).
    public static var spinSummary: String {
        guard zoo_parallel_available() != 0 else { return "no OpenMP runtime (oneDNN not loaded)" }
        let setByZoo = zoo_openmp_spin_set_by_zoo() != 0
        for name in ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"] {
            if let value = getenv(name) {
                return "\(name)=\(String(cString: value)) (\(setByZoo ? "set by Zoo for ZOO_POOL=dispatch" : "from the environment"))"
            }
        }
        return "libgomp's default"
    }

    /// Runs every chunk on libgomp's threads; false, running nothing, without oneDNN's runtime.
    private static func openMPForEach(_ chunks: Int, _ body: (Int) -> Void) -> Bool {
        withoutActuallyEscaping(body) { body in
            var body = body
            return withUnsafeMutablePointer(to: &body) { pointer in
                zoo_parallel_for(chunks, Int32(min(threadCount, chunks)), { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
                }, pointer) != 0
            }
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
