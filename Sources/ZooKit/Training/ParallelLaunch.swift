import Foundation

/// Whether this process is one of several that `mpirun` or `srun` started. Zoo trains in one
/// process (data-parallel training over MPI is not built yet, docs/CLUSTER.md): N copies would
/// each train the same model alone and write the same run directory, so a run refuses to start.
public enum ParallelLaunch {
    /// The launcher's variable that says how many processes it started, and that count, when
    /// it is more than one: Open MPI's mpirun, MPICH's hydra, or an srun step.
    public static func processCount(in environment: [String: String]) -> (variable: String, count: Int)? {
        var candidates = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
        // A batch script also sees its allocation's task count, but runs once; a step that srun
        // started has a numeric step id.
        if let step = environment["SLURM_STEP_ID"], Int(step) != nil { candidates.append("SLURM_STEP_NUM_TASKS") }
        for variable in candidates {
            if let text = environment[variable], let count = Int(text), count > 1 { return (variable, count) }
        }
        return nil
    }

    /// Throws when `processCount` finds several processes.
    public static func requireSingleProcess(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let (variable, count) = processCount(in: environment) else { return }
        throw RunError(
            "this process is one of \(count) (\(variable)=\(count)), but Zoo trains in one process: data-parallel "
                + "training over MPI is not built yet, and \(count) copies would each train alone and write the same run. "
                + "Start one process (for a sweep on SLURM, sweep.backend: slurm runs each trial as its own task)")
    }
}
