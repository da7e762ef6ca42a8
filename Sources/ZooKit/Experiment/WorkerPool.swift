import Foundation

/// Trials of a sweep as N `zoo sweep --only NAME` processes that split the cores: each gets
/// cores / N threads, writes its log to runs/<experiment>/workers/<trial>.log, and leaves a
/// finished run directory that the parent then reads back.
struct WorkerPool {
    let study: StudyRunner
    let workers: Int
    let experiment: String

    func run(_ names: [String]) throws {
        guard !names.isEmpty else { return }
        guard let executable = study.workerExecutable, let configFile = study.configURL else {
            let why = study.configURL == nil ? "a study built in Swift has no config file for worker processes to read" : "no zoo executable to start"
            study.progress.message("workers: \(why); the trials run one after another in this process")
            return
        }
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / workers)
        let logs = study.runsRoot.appendingPathComponent(experiment).appendingPathComponent("workers")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        var pending = names
        var running = [(name: String, process: Process)]()
        var failed = [String]()
        while !pending.isEmpty || !running.isEmpty {
            while running.count < workers, !pending.isEmpty {
                let name = pending.removeFirst()
                let log = logs.appendingPathComponent("\(name).log")
                FileManager.default.createFile(atPath: log.path, contents: nil)
                let process = Process()
                process.executableURL = executable
                process.arguments = ["sweep", configFile.path, "--runs", study.runsRoot.path, "--only", name]
                    + study.overrides.flatMap { ["--set", $0] }
                var environment = ProcessInfo.processInfo.environment
                environment["ZOO_NUM_THREADS"] = String(threads)
                process.environment = environment
                let handle = try FileHandle(forWritingTo: log)
                process.standardOutput = handle
                process.standardError = handle
                try process.run()
                study.progress.message("== \(name): worker process \(process.processIdentifier), \(threads) thread(s), log \(log.path)")
                running.append((name, process))
            }
            Thread.sleep(forTimeInterval: 0.2)
            for (name, process) in running where !process.isRunning {
                if process.terminationStatus != 0 { failed.append(name) }
                study.progress.message("== \(name): worker finished with status \(process.terminationStatus)")
            }
            running.removeAll { !$0.process.isRunning }
        }
        guard failed.isEmpty else {
            throw RunError("worker trials failed: \(failed.joined(separator: ", ")); see \(logs.path)/<trial>.log")
        }
    }
}
