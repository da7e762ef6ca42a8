import Foundation
import ZooCore
import ZooData

/// Runs a study: a sweep (one protocol over many architectures), an ensemble (members trained
/// on one split, their probabilities averaged), or a pipeline of stages (segment, then
/// classify the regions the best segmentation model finds). Trials run one after another, or
/// as worker processes for a sweep; a finished trial (its run directory holds metrics) is read
/// back instead of trained again. Each sweep, ensemble or stage ends in a `Report`.
public final class StudyRunner {
    public let config: ExperimentConfig
    /// The config file, when the study was read from one (`zoo sweep FILE`); worker processes
    /// and SLURM tasks read it again.
    public let configURL: URL?
    /// The study's document with `extends:` resolved and without `overrides`, which every
    /// trial applies after its own settings.
    let document: ConfigValue
    /// What errors name as the config: the file's name, or `config` for one built in Swift.
    let source: String
    public let overrides: [String]
    public let runsRoot: URL
    public let progress: Progress
    /// Only these trials (sweep entry names) run; the rest must have finished before.
    public var only: Set<String> = []
    /// The `zoo` executable that worker processes run (sweeps with `workers` > 1, and every
    /// SLURM array task).
    public var workerExecutable: URL?
    /// What a sweep with `sweep.backend: slurm` does: submit and wait, submit only, or collect.
    public var clusterAction: ClusterAction = .submitAndWait
    /// The environment SLURM's commands are looked up and run in.
    public var clusterEnvironment = ProcessInfo.processInfo.environment

    public convenience init(configURL: URL, overrides: [String], runsRoot: URL, progress: Progress = Progress()) throws {
        try self.init(
            document: try ExperimentConfig.document(configURL), source: configURL.lastPathComponent, configURL: configURL,
            baseDirectory: configURL.deletingLastPathComponent(), overrides: overrides, runsRoot: runsRoot, progress: progress)
    }

    /// A study built in Swift (``Sweep``): its trials run in this process, one after another.
    public convenience init(document: ConfigValue, baseDirectory: URL? = nil, runsRoot: URL, progress: Progress = Progress()) throws {
        try self.init(
            document: document, source: "config", configURL: nil, baseDirectory: baseDirectory, overrides: [], runsRoot: runsRoot,
            progress: progress)
    }

    init(document: ConfigValue, source: String, configURL: URL?, baseDirectory: URL?, overrides: [String], runsRoot: URL, progress: Progress) throws {
        self.document = document
        self.source = source
        self.configURL = configURL
        self.baseDirectory = baseDirectory
        self.overrides = overrides
        var config = try ExperimentConfig(try ExperimentConfig.applying(overrides, to: document), source: source)
        config.baseDirectory = baseDirectory
        self.config = config
        self.runsRoot = runsRoot
        self.progress = progress
        guard config.sweep != nil || config.ensemble != nil || !config.stages.isEmpty || config.crossValidation != nil else {
            throw RunError("\(source) has no sweep:, ensemble:, stages: or cross_validation: section; use `zoo train`")
        }
    }

    /// Where relative data paths start: the config file's folder (the working folder for a
    /// study built in Swift, unless given).
    let baseDirectory: URL?

    /// The config file that `zoo` processes started for `purpose` read; a study built in Swift
    /// has none and runs its trials in this process.
    func configFile(for purpose: String) throws -> URL {
        guard let configURL else {
            throw RunError(
                "\(purpose) starts zoo processes that read the study from a config file; a study built in Swift runs its trials "
                    + "in this process (sweep.workers: 1, sweep.backend: local), or write its document to a file and run zoo sweep")
        }
        return configURL
    }

    /// Trains (or reads back) every trial and returns the reports, one per sweep, ensemble
    /// or stage, each also written under runs/<experiment>/.
    public func run() throws -> [Report] {
        guard config.crossValidation == nil else {
            throw RunError("\(source) is a cross-validation study: run it with runCrossValidation()")
        }
        guard only.isEmpty || config.sweep != nil else {
            throw RunError("--only picks trials of a plain sweep; \(source) is an ensemble or a pipeline")
        }
        if let sweep = config.sweep {
            return try runSweep(document, sweep: sweep, experiment: config.experiment).map { [$0] } ?? []
        }
        if let ensemble = config.ensemble {
            return [try EnsembleRunner(study: self, document: sharedData(document).removing("ensemble"), ensemble: ensemble).run()]
        }
        return try PipelineRunner(study: self).run()
    }

    /// Runs a `cross_validation:` study (every fold of the model or of each sweep trial) and
    /// writes its report under runs/<experiment>/.
    public func runCrossValidation() throws -> CrossValidationReport {
        guard let cv = config.crossValidation else { throw RunError("\(source) has no cross_validation: section") }
        guard only.isEmpty else { throw RunError("--only picks trials of a plain sweep; a cross-validation study runs every fold") }
        return try CrossValidationRunner(study: self, cv: cv).run()
    }

    /// The document with its phantom's seed fixed to the study's seed: members and stages may
    /// train with seeds of their own, and must still see the same images.
    func sharedData(_ document: ConfigValue) -> ConfigValue {
        guard config.data.source?.name == "phantom", document["data"]?["phantom"]?["seed"] == nil else { return document }
        return document.setting(["data", "phantom", "seed"], to: .scalar(String(config.seed)))
    }

    /// The experiment of one trial: the base document, the entry's settings, then the command
    /// line's, which win (`--set train.epochs=1` shortens every trial whatever the entry sets).
    func trialConfig(_ base: ConfigValue, entry: TrialEntry, architecture: Bool) throws -> ExperimentConfig {
        var document = architecture ? base.setting(["model", "name"], to: .scalar(entry.name)) : base
        for (path, value) in entry.overrides { document = document.setting(path, to: value) }
        document = try ExperimentConfig.applying(overrides, to: document)
        // The study's own sections stay with the study; a trial is one plain run.
        document = document.removing("sweep").removing("ensemble").removing("stages").removing("cross_validation").removing("clinical")
            .removing("readers")
        var trial = try ExperimentConfig(document, source: source)
        trial.baseDirectory = baseDirectory
        return trial
    }

    /// The readers of `document` (`readers:`) with their scores for every test case (the
    /// split's test part and the external sets), read or simulated before anything trains, so
    /// a reader file whose ids do not match stops the study first.
    func readerStudy(_ document: ConfigValue, trial: ExperimentConfig?, experiment: String, prepare: (ExperimentRunner) throws -> Void) throws -> ReaderStudy? {
        guard case .list(let items)? = document["readers"], !items.isEmpty, let trial else { return nil }
        let configs = try items.enumerated().map { index, value in
            try ReaderConfig(try ConfigReader(value, source: source, path: "readers[\(index)]"))
        }
        guard trial.eval.aggregateRule == nil else {
            throw RunError("\(source): readers are compared image by image; eval.aggregate (per patient) is not supported with them yet")
        }
        let runner = ExperimentRunner(config: trial, runsRoot: runsRoot, progress: progress)
        try prepare(runner)
        let dataset = try runner.dataset()
        let split = try runner.split(dataset)
        var truth = [String: Int]()
        let testPart = split.parts["test"] != nil ? "test" : "validation"
        for index in try split.indices(testPart, in: dataset) {
            let info = dataset.info(at: index)
            truth[info.id] = info.label
        }
        for set in try ExternalTestSet.all(trial, training: dataset, trainingIndices: try split.trainingIndices(in: dataset)) {
            for index in 0..<set.count {
                let info = set.info(at: index)
                truth[info.id] = info.label
            }
        }
        let folder = runsRoot.appendingPathComponent(experiment).appendingPathComponent("readers")
        return try ReaderStudy(configs, truth: truth, base: baseDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath), folder: folder)
    }

    /// `1 h 02 min`, `3 min 07 s` or `42 s`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%d h %02d min", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return "\(s) s"
    }

    /// Checks every trial's config (architecture name, optimizer, loss, schedule, transforms)
    /// before the first one trains: a typo in the ninth backbone must not wait for eight.
    func preflight(_ trials: [(String, ExperimentConfig)], key: String) throws {
        for (index, (name, trial)) in trials.enumerated() {
            do {
                try ExperimentRunner(config: trial, runsRoot: runsRoot, progress: progress).preflight()
            } catch {
                throw RunError("\(source): \(key)[\(index)] '\(name)': \(error)")
            }
        }
    }

    /// Runs one trial, or reuses its run directory: a finished run is read back, an
    /// interrupted one resumed from its last checkpoint, but only while its config and data
    /// are the ones it was trained with; otherwise the old run is kept under another name and
    /// the trial trains again.
    func runTrial(_ trial: ExperimentConfig, name: String, prepare: (ExperimentRunner) throws -> Void = { _ in }) throws -> RunResult {
        let existing = trialRun(name, experiment: trial.experiment)
        let runner = ExperimentRunner(config: trial, runsRoot: runsRoot, progress: progress)
        try prepare(runner)
        guard FileManager.default.fileExists(atPath: existing.url.path) else {
            progress.message("== \(name)")
            return try runner.run(name: name)
        }
        let changes = try reuseProblems(existing, runner: runner)
        if changes.isEmpty, existing.isFinished {
            progress.message("== \(name): finished before with this config and data, read back from \(existing.url.path)")
            return try ExperimentRunner.finished(existing, eval: trial.eval, seed: trial.seed, testSets: trial.data.testSets.map(\.name))
        }
        if changes.isEmpty, FileManager.default.fileExists(atPath: existing.lastCheckpoint.path) {
            progress.message("== \(name): resuming the interrupted run from its last checkpoint")
            return try runner.run(name: name, resume: existing)
        }
        // The old folder is moved aside, never trained into: a new run shares no file with an old one.
        let stem = "\(name).stale-\(ExperimentRunner.timestamp())"
        let folder = existing.url.deletingLastPathComponent()
        let kept = ([stem] + (2...99).map { "\(stem)-\($0)" }).lazy.map { folder.appendingPathComponent($0) }
            .first { !FileManager.default.fileExists(atPath: $0.path) } ?? folder.appendingPathComponent("\(stem)-\(UUID().uuidString)")
        try FileManager.default.moveItem(at: existing.url, to: kept)
        let reason = changes.isEmpty ? "the earlier attempt left no checkpoint" : changes.joined(separator: "; ")
        progress.message("== \(name): \(reason); the old run is kept as \(kept.lastPathComponent), training again")
        return try runner.run(name: name)
    }

    /// Why the run in `existing` does not match what `runner` would train now (empty: it
    /// matches): config keys that differ, or data that changed.
    func reuseProblems(_ existing: RunDirectory, runner: ExperimentRunner) throws -> [String] {
        guard let recorded = existing.recordedFingerprint else {
            return ["its run directory records no fingerprint of its config and data (an older Zoo, or an interrupted start)"]
        }
        var problems = [String]()
        let differences = try ConfigValue.differences(try existing.recordedConfig, runner.config.resolved)
        if !differences.isEmpty {
            problems.append("the config changed since it ran (\(differences.prefix(5).joined(separator: ", "))\(differences.count > 5 ? ", ..." : ""))")
        }
        let current = runner.fingerprint(of: try runner.dataset())
        if recorded.model != current.model {
            problems.append("the model file it started from changed (model.from or model.weights)")
        }
        if recorded.data != current.data {
            problems.append("its data changed (\(recorded.samples) samples then, \(current.samples) now, or files or regions of interest differ)")
        }
        return problems
    }

    /// The run directory of the trial `name` of `experiment`.
    func trialRun(_ name: String, experiment: String) -> RunDirectory {
        RunDirectory(runsRoot.appendingPathComponent(experiment).appendingPathComponent(name))
    }

    /// The trials of `sweep`, each checked before any trains.
    func sweepTrials(_ document: ConfigValue, sweep: SweepConfig) throws -> [(String, ExperimentConfig)] {
        let trials = try sweep.architectures.map { ($0.name, try trialConfig(document, entry: $0, architecture: true)) }
        try preflight(trials, key: "sweep.architectures")
        return trials
    }

    /// The names of the trials whose run has no result yet.
    func unfinished(_ trials: [(String, ExperimentConfig)]) -> [String] {
        trials.filter { name, trial in !trialRun(name, experiment: trial.experiment).isFinished }.map(\.0)
    }

    /// The batch script `zoo sweep --backend slurm` would submit now (its unfinished trials).
    public func slurmScript() throws -> String {
        guard let sweep = config.sweep else { throw RunError("\(source) has no sweep: section to submit") }
        let unfinished = unfinished(try sweepTrials(document, sweep: sweep))
        guard !unfinished.isEmpty else { return "# every trial of \(source) has finished: nothing to submit\n" }
        guard let zoo = workerExecutable else { throw RunError("no zoo executable to name in the script") }
        return try SlurmSweep(study: self, options: sweep.slurm, experiment: config.experiment).script(trials: unfinished, zoo: zoo)
    }

    /// Runs the `unfinished` trials as a SLURM job array by `clusterAction`. True when every
    /// trial has finished and the report can be written; false when the job was submitted
    /// without waiting. Unfinished trials after the job are an error naming each with its
    /// state and log: a report is never built from part of a sweep.
    func runOnSlurm(_ sweep: SweepConfig, unfinished: [String], experiment: String) throws -> Bool {
        let file = try configFile(for: "sweep.backend: slurm")
        var slurm = SlurmSweep(study: self, options: sweep.slurm, experiment: experiment)
        slurm.environment = clusterEnvironment
        var job = try slurm.lastJob()
        if clusterAction != .collect, !unfinished.isEmpty {
            guard let zoo = workerExecutable else { throw RunError("sweep.backend slurm needs the zoo executable to submit") }
            job = try slurm.submit(trials: unfinished, zoo: zoo)
            progress.message(
                "== submitted slurm job \(job!.id): \(unfinished.count) trial(s) (\(unfinished.joined(separator: ", "))), "
                    + "logs in \(slurm.folder.path)")
            guard clusterAction == .submitAndWait else {
                progress.message("== `zoo sweep \(file.path) --collect` writes the report once the job has finished")
                return false
            }
            try slurm.wait(for: job!)
        }
        let missing = unfinished.filter { !trialRun($0, experiment: experiment).isFinished }
        guard missing.isEmpty else {
            let reasons = try slurm.explain(missing, job: job)
            throw RunError(
                "\(missing.count) of the sweep's trials have no result, so no report was written:\n  "
                    + reasons.joined(separator: "\n  ")
                    + "\n`zoo sweep \(file.path)` submits only these again (an interrupted trial resumes from its last checkpoint)")
        }
        return true
    }

    /// A sweep of `document` (the experiment with its `sweep:`); its report is written to
    /// runs/<experiment>/. Nil when its trials were submitted to SLURM without waiting.
    func runSweep(_ document: ConfigValue, sweep: SweepConfig, experiment: String, prepare: (ExperimentRunner) throws -> Void = { _ in }) throws -> Report? {
        var trials = try sweepTrials(document, sweep: sweep)
        if !only.isEmpty {
            // A worker process: its trials only, and no report (the parent writes it).
            trials = trials.filter { only.contains($0.0) }
            return try Report(experiment: experiment, results: try trials.map { name, trial in try runTrial(trial, name: name, prepare: prepare) }, metrics: trials.first?.1.eval.metrics)
        }
        let unfinished = unfinished(trials)
        if sweep.backend == .slurm {
            guard try runOnSlurm(sweep, unfinished: unfinished, experiment: experiment) else { return nil }
        } else if sweep.workers > 1 {
            try WorkerPool(study: self, workers: sweep.workers, experiment: experiment).run(unfinished)
        }
        // The clinical model first: it takes a second, and a wrong column stops the study
        // before any image model trains. On the same split as the image models.
        var clinicalResult: RunResult?
        // A stage's document already holds the study's overrides of it (stages.<name>.*).
        let applied = try ExperimentConfig.applying(overrides.filter { !$0.hasPrefix("stages.") }, to: document)
        if let section = applied["clinical"], section != .null {
            let clinical = try ClinicalConfig(try ConfigReader(section, source: source, path: "clinical"))
            var config = try trialConfig(document, entry: TrialEntry(name: "clinical", overrides: []), architecture: false)
            config.experiment = experiment
            let runner = ExperimentRunner(config: config, runsRoot: runsRoot, progress: progress)
            try prepare(runner)
            clinicalResult = try ClinicalModel(clinical: clinical, runner: runner).run()
        }
        let readers = try readerStudy(applied, trial: trials.first?.1, experiment: experiment, prepare: prepare)
        var results = [RunResult]()
        let started = Date()
        for (index, (name, trial)) in trials.enumerated() {
            // Progress a person can plan by: which trial, how long so far, how long still
            // (the mean of the trials so far, read-back ones included).
            let elapsed = Date().timeIntervalSince(started)
            var line = "=== trial \(index + 1) of \(trials.count): \(name); \(StudyRunner.duration(elapsed)) elapsed"
            if index > 0 { line += ", about \(StudyRunner.duration(elapsed / Double(index) * Double(trials.count - index))) to go" }
            progress.message(line)
            results.append(try runTrial(trial, name: name, prepare: prepare))
        }
        if let clinicalResult { results.append(clinicalResult) }
        var report = try Report(experiment: experiment, results: results, metrics: trials.first?.1.eval.metrics)
        report.readerStudy = readers
        try report.write(to: runsRoot.appendingPathComponent(experiment))
        return report
    }
}
