import Foundation

/// What `zoo sweep` does with a sweep whose backend is SLURM.
public enum ClusterAction: Sendable {
    /// Submit the unfinished trials, wait for the job, then write the report.
    case submitAndWait
    /// Submit and return; `collect` later writes the report.
    case submit
    /// Submit nothing: write the report if every trial has finished, else say which have not.
    case collect
}

/// A sweep's trials as one SLURM job array: index i runs `zoo sweep CONFIG --only TRIAL_i` in
/// the shared runs folder, so a trial's run directory is written exactly as a local run writes
/// it, its metrics.json last and atomically (temp file and rename): a trial that crashed leaves
/// a run without metrics, which counts as unfinished and resumes from its last checkpoint when
/// submitted again. Finished trials are never submitted. Only `sbatch`, `squeue` and `scancel`
/// are called (libslurm's ABI changes with every release); no accounting database is assumed,
/// so task states come from `squeue -t all` while SLURM keeps them (MinJobAge).
struct SlurmSweep {
    let study: StudyRunner
    let options: SlurmOptions
    let experiment: String
    /// The environment whose PATH finds the SLURM commands (tests put stand-ins first).
    var environment = ProcessInfo.processInfo.environment
    /// Seconds between two looks at the queue while waiting.
    var pollInterval = 1.0

    /// runs/<experiment>/slurm: the job scripts, the job records and the tasks' logs.
    var folder: URL { study.runsRoot.appendingPathComponent(experiment).appendingPathComponent("slurm") }
    var lastJobRecord: URL { folder.appendingPathComponent("last-job.json") }

    /// One submitted array: its id and the trial of each index.
    struct Job: Codable, Equatable {
        var id: String
        var trials: [String]
        var script: String
        var submitted: String
    }

    /// The batch script for `trials` (index i runs trials[i]).
    func script(trials: [String], zoo: URL) throws -> String {
        let file = try study.configFile(for: "sweep.backend: slurm")
        let config = file.standardizedFileURL.path
        let runs = study.runsRoot.standardizedFileURL.path
        var lines = [
            "#!/bin/bash",
            "#SBATCH --job-name=\(shellWord("zoo-\(experiment.replacingOccurrences(of: "/", with: "-"))"))",
            "#SBATCH --array=0-\(trials.count - 1)" + (options.arrayLimit.map { "%\($0)" } ?? ""),
            "#SBATCH --output=\(folder.standardizedFileURL.path)/%A_%a.log",
        ]
        if let partition = options.partition { lines.append("#SBATCH --partition=\(partition)") }
        if let account = options.account { lines.append("#SBATCH --account=\(account)") }
        if let time = options.time { lines.append("#SBATCH --time=\(time)") }
        if let cpus = options.cpusPerTask { lines.append("#SBATCH --cpus-per-task=\(cpus)") }
        if let mem = options.mem { lines.append("#SBATCH --mem=\(mem)") }
        lines += options.extra.map { "#SBATCH \($0)" }
        lines += [
            "# Written by zoo sweep for \(file.lastPathComponent): one trial per array index.",
            "trials=(\(trials.map(shellWord).joined(separator: " ")))",
            "# Zoo's threads: the cores SLURM gave this task.",
            "export ZOO_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
            "exec \(shellWord(zoo.path)) sweep \(shellWord(config)) --runs \(shellWord(runs))"
                + study.overrides.map { " --set \(shellWord($0))" }.joined()
                + " --only \"${trials[$SLURM_ARRAY_TASK_ID]}\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the script and submits it; the job is recorded in the slurm folder.
    func submit(trials: [String], zoo: URL) throws -> Job {
        let sbatch = try command("sbatch")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let stamp = ExperimentRunner.timestamp()
        let scriptURL = folder.appendingPathComponent("sweep-\(stamp).sbatch")
        try script(trials: trials, zoo: zoo).write(to: scriptURL, atomically: true, encoding: .utf8)
        let result = try run(sbatch, ["--parsable", scriptURL.path])
        // --parsable prints `id` or `id;cluster`.
        guard result.status == 0, let id = result.output.split(separator: "\n").last?.split(separator: ";").first.map(String.init),
            !id.isEmpty, id.allSatisfy(\.isNumber)
        else {
            throw RunError(
                "sbatch refused the sweep's job array (\(scriptURL.path)): "
                    + (result.error.isEmpty ? "exit status \(result.status), output '\(result.output)'" : result.error))
        }
        let job = Job(id: id, trials: trials, script: scriptURL.path, submitted: stamp)
        let data = try JSONEncoder().encode(job)
        try data.write(to: folder.appendingPathComponent("job-\(id).json"), options: .atomic)
        try data.write(to: lastJobRecord, options: .atomic)
        return job
    }

    /// The job recorded by the last submission, if any.
    func lastJob() throws -> Job? {
        guard FileManager.default.fileExists(atPath: lastJobRecord.path) else { return nil }
        return try JSONDecoder().decode(Job.self, from: Data(contentsOf: lastJobRecord))
    }

    /// Each array index's state as SLURM reports it (`COMPLETED`, `FAILED`, `RUNNING`, ...);
    /// empty once SLURM has forgotten the job.
    func states(of job: Job) throws -> [Int: String] {
        let result = try run(try command("squeue"), ["-h", "-t", "all", "-j", job.id, "-o", "%K %T"])
        guard result.status == 0 else {
            // A job id SLURM no longer knows is an error for squeue, not an empty list.
            if result.error.contains("Invalid job id") { return [:] }
            throw RunError("squeue could not report job \(job.id): \(result.error)")
        }
        return Self.parseStates(result.output)
    }

    /// `squeue -o "%K %T"` lines as index -> state. A pending array shows its remaining indices
    /// as one line: `1-3`, `[4-5%2]` or `1,4`.
    static func parseStates(_ output: String) -> [Int: String] {
        var states = [Int: String]()
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2 else { continue }
            let state = String(fields[1])
            let indices = (fields[0].split(separator: "%").first.map(String.init) ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            for part in indices.split(separator: ",") {
                let bounds = part.split(separator: "-").compactMap { Int($0) }
                if bounds.count == 2, bounds[0] <= bounds[1] {
                    for index in bounds[0]...bounds[1] { states[index] = state }
                } else if bounds.count == 1 {
                    states[bounds[0]] = state
                }
            }
        }
        return states
    }

    static let activeStates: Set<String> = ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"]

    /// Polls the queue until no index of `job` is pending or running. Ctrl-C (the interrupt
    /// handler's flag) cancels the job and stops.
    func wait(for job: Job, interrupted: () -> Bool = { Interrupt.requested }) throws {
        var last = ""
        while true {
            let states = try states(of: job)
            let active = states.values.filter { Self.activeStates.contains($0) }
            if active.isEmpty { return }
            let counts = Dictionary(grouping: states.values, by: { $0 }).mapValues(\.count)
            let line = "slurm job \(job.id): " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key.lowercased())" }.joined(separator: ", ")
            if line != last { study.progress.message(line) }
            last = line
            if interrupted() {
                _ = try? run(try command("scancel"), [job.id])
                throw RunError("interrupted: slurm job \(job.id) cancelled; finished trials are kept, and `zoo sweep` submits the rest again")
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }

    /// Why each of `unfinished` has no result: its index's state and log in `job`, when it
    /// was part of it.
    func explain(_ unfinished: [String], job: Job?) throws -> [String] {
        let known: [Int: String] = try job.map { try self.states(of: $0) } ?? [:]
        return unfinished.map { name in
            guard let job, let index = job.trials.firstIndex(of: name) else {
                return "'\(name)': not submitted yet"
            }
            let log = folder.appendingPathComponent("\(job.id)_\(index).log")
            let state = known[index] ?? "no longer in SLURM's queue"
            var text = "'\(name)' (job \(job.id), array index \(index)): \(state), log \(log.path)"
            if let tail = try? String(contentsOf: log, encoding: .utf8).split(separator: "\n").suffix(2), !tail.isEmpty {
                text += " (ends: \(tail.joined(separator: " | ")))"
            }
            return text
        }
    }

    // MARK: - Running SLURM's commands

    /// The executable `name` on the environment's PATH, or an error that says so.
    func command(_ name: String) throws -> URL {
        let path = environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw RunError(
            "sweep.backend is slurm, but \(name) is not on the PATH (\(path)): run zoo sweep on a SLURM login node, "
                + "or set sweep.backend: local")
    }

    struct Output {
        let status: Int32
        let output: String
        let error: String
    }

    func run(_ executable: URL, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            output: String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            error: String(decoding: error, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// `text` as one word of a POSIX shell command.
func shellWord(_ text: String) -> String {
    let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
    return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
