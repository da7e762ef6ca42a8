#if MPI
import CMPI
import Foundation

/// MPI's world communicator (Open MPI or MPICH through `CMPI`'s shim). MPI is initialised with
/// `MPI_THREAD_FUNNELED`: Zoo's pools, OpenBLAS and oneDNN start threads, but only the thread
/// that made the communicator calls MPI. `MPI_Finalize` runs at exit (a communicator held by
/// a top-level constant is never deinitialised, and mpirun reports a rank that exits without
/// it as failed).
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    private let world = zoo_mpi_comm_world()

    public init() throws {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            try Self.check(MPI_Init_thread(nil, nil, zoo_mpi_thread_funneled(), &provided), "MPI_Init_thread")
            atexit { MPI_Finalize() }
        }
        var (rank, size): (Int32, Int32) = (0, 0)
        MPI_Comm_rank(zoo_mpi_comm_world(), &rank)
        MPI_Comm_size(zoo_mpi_comm_world(), &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    static func check(_ status: Int32, _ call: String) throws {
        guard status == Int32(MPI_SUCCESS) else { throw RunError("\(call) failed with MPI error \(status)") }
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = values.baseAddress else { return }
        var offset = 0
        while offset < values.count {
            let count = Swift.min(Communicators.bucket, values.count - offset)
            try Self.check(
                MPI_Allreduce(zoo_mpi_in_place(), base + offset, Int32(count), zoo_mpi_float(), zoo_mpi_sum(), world),
                "MPI_Allreduce")
            offset += count
        }
    }

    /// One `MPI_Iallreduce` (callers keep a reduction within a bucket's size).
    public func startAllReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws -> Reduction {
        let reduction = PendingReduction()
        guard let base = values.baseAddress else { return reduction }
        try Self.check(
            MPI_Iallreduce(zoo_mpi_in_place(), base, Int32(values.count), zoo_mpi_float(), zoo_mpi_sum(), world, &reduction.request),
            "MPI_Iallreduce")
        return reduction
    }

    final class PendingReduction: Reduction {
        var request: MPI_Request? = zoo_mpi_request_null()

        func poll() throws {
            var done: Int32 = 0
            try MPICommunicator.check(MPI_Test(&request, &done, zoo_mpi_status_ignore()), "MPI_Test")
        }

        func wait() throws {
            try MPICommunicator.check(MPI_Wait(&request, zoo_mpi_status_ignore()), "MPI_Wait")
        }
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        guard let base = values.baseAddress else { return }
        try Self.check(
            MPI_Allreduce(zoo_mpi_in_place(), base, Int32(values.count), zoo_mpi_double(), zoo_mpi_sum(), world), "MPI_Allreduce")
    }

    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        guard let base = values.baseAddress else { return }
        var offset = 0
        while offset < values.count {
            let count = Swift.min(Communicators.bucket, values.count - offset)
            try Self.check(MPI_Bcast(base + offset, Int32(count), zoo_mpi_float(), Int32(root), world), "MPI_Bcast")
            offset += count
        }
    }

    public func allGather(_ text: String) throws -> [String] {
        let width = Communicators.gatherLimit
        var mine = [CChar](repeating: 0, count: width)
        for (index, byte) in text.utf8.prefix(width - 1).enumerated() { mine[index] = CChar(bitPattern: byte) }
        var all = [CChar](repeating: 0, count: width * size)
        try Self.check(MPI_Allgather(&mine, Int32(width), zoo_mpi_char(), &all, Int32(width), zoo_mpi_char(), world), "MPI_Allgather")
        return (0..<size).map { rank in
            all[(rank * width)..<((rank + 1) * width)].withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    public func barrier() throws {
        try Self.check(MPI_Barrier(world), "MPI_Barrier")
    }
}
#endif
