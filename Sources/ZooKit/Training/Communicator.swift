import Foundation

/// The processes one job is spread over, and the collective operations between them: the layer
/// data-parallel training stands on (issue 18). One process is `SingleProcess`; a build with
/// the MPI trait (`swift build --traits MPI`) started by a launcher (`mpirun`, `srun --mpi=pmix`)
/// is `MPICommunicator`.
public protocol Communicator: AnyObject {
    /// This process's index, 0 to `size` - 1; rank 0 alone writes files.
    var rank: Int { get }
    var size: Int { get }
    /// Replaces `values` on every process by their sum over all processes.
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Starts summing `values` over every process and returns at once; the sum is in `values`
    /// once the returned reduction's `wait()` has returned. `values` must stay valid until then.
    func startAllReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws -> Reduction
    /// The same in Double (batch-normalization statistics).
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Replaces `values` on every process by rank `root`'s.
    func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws
    /// Every process's `text`, in rank order (at most `Communicators.gatherLimit` bytes each).
    func allGather(_ text: String) throws -> [String]
    /// Returns once every process has called it.
    func barrier() throws
}

/// A sum started by `startAllReduceSum`.
public protocol Reduction: AnyObject {
    /// Lets the sum progress (MPI moves a non-blocking collective on only inside its calls).
    func poll() throws
    /// Returns once the sum is complete.
    func wait() throws
}

/// A sum that was complete when it started (one process).
final class CompletedReduction: Reduction {
    func poll() throws {}
    func wait() throws {}
}

/// One process: every collective is the identity.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {}
    public func startAllReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws -> Reduction { CompletedReduction() }
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {}
    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws {}
    public func allGather(_ text: String) throws -> [String] { [text] }
    public func barrier() throws {}
}

/// How a process finds its communicator.
public enum Communicators {
    /// Bytes of text each process may contribute to `allGather`.
    public static let gatherLimit = 256

    /// Floats per all-reduce call: large calls page-fault on Open MPI's temporary buffer
    /// (docs/SCALING.md), and PyTorch's DDP buckets its gradients at the same order (25 MB).
    public static let bucket = 4 << 20

    /// Whether this build can talk MPI.
    public static var mpiBuilt: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }

    /// The communicator of this process: MPI's when a launcher started several processes, else
    /// one process. Several processes in a build without MPI is an error that says so.
    public static func make(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Communicator {
        #if MPI
        guard ParallelLaunch.processCount(in: environment) != nil else { return SingleProcess() }
        let communicator = try MPICommunicator()
        try checkSameVersion(communicator)
        return communicator
        #else
        guard let launch = ParallelLaunch.processCount(in: environment) else { return SingleProcess() }
        throw RunError(
            "this process is one of \(launch.count) (\(launch.variable)=\(launch.count)), but this zoo was built without MPI: "
                + "build it with `swift build -c release --traits MPI` (Debian: libopenmpi-dev)")
        #endif
    }

    /// Every process must run the same Zoo: a rank of another version would compute other
    /// numbers, or wait forever on a collective the others never start.
    public static func checkSameVersion(_ communicator: Communicator) throws {
        let mine = "zoo \(ZooVersion.number)"
        let all = try communicator.allGather(mine)
        if let (rank, other) = all.enumerated().first(where: { $0.element != all[0] }).map({ ($0.offset, $0.element) }) {
            throw RunError("rank \(rank) runs \(other) and rank 0 runs \(all[0]): every process of a job must run the same Zoo")
        }
    }
}
