import Foundation

/// Whether this process is one of several that `mpirun` or `srun` started, and which. A zoo built
/// with the MPI trait then trains data-parallel (`Communicators.make`); one built without it
/// stops, since N copies would each train the same model alone and write the same run.
public enum ParallelLaunch {
    /// The launcher's variable that says how many processes it started, and that count, when
    /// it is more than one: Open MPI's mpirun, MPICH's hydra, or an srun step.
    public static func processCount(in environment: [String: String]) -> (variable: String, count: Int)? {
        let candidates = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] + (inSrunStep(environment) ? ["SLURM_STEP_NUM_TASKS"] : [])
        for variable in candidates {
            if let text = environment[variable], let count = Int(text), count > 1 { return (variable, count) }
        }
        return nil
    }

    /// This process's rank as its launcher numbers it (0 when started alone).
    public static func rank(in environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        let candidates = ["OMPI_COMM_WORLD_RANK", "PMI_RANK"] + (inSrunStep(environment) ? ["SLURM_PROCID"] : [])
        return candidates.lazy.compactMap { environment[$0].flatMap(Int.init) }.first ?? 0
    }

    /// A batch script also sees its allocation's task count, but runs once; a step that srun
    /// started has a numeric step id.
    static func inSrunStep(_ environment: [String: String]) -> Bool {
        environment["SLURM_STEP_ID"].flatMap { Int($0) } != nil
    }
}
