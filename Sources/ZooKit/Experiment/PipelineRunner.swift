import Foundation
import ZooCore
import ZooData
import ZooMetrics

/// A pipeline study: stages run in order on one shared split; a stage with `roi.from` sees
/// every image cropped to the box around the mask that the earlier stage's best segmentation
/// model (highest validation Dice) predicts for it, on training and test images alike.
struct PipelineRunner {
    let study: StudyRunner

    func run() throws -> [Report] {
        let stages = study.config.stages
        let first = try study.trialConfig(study.sharedData(stages[0].document), entry: TrialEntry(name: stages[0].config.model.name, overrides: []), architecture: false)
        let dataset = try DataSources.make(first.data, seed: first.seed, base: study.baseDirectory)
        let split = try ExperimentRunner(config: first, runsRoot: study.runsRoot, progress: study.progress).split(dataset)
        var reports = [String: Report]()
        var ordered = [Report]()
        for stage in stages {
            study.progress.message("=== stage \(stage.name)")
            var boxes: [String: RegionBox]?
            if let roi = stage.roi {
                // The stage's external test sets are cropped the same way: boxes keyed by their
                // prefixed ids, predicted by the same segmentation model.
                let stageConfig = try study.trialConfig(study.sharedData(stage.document), entry: TrialEntry(name: stage.config.model.name, overrides: []), architecture: false)
                let external = try ExternalTestSet.all(stageConfig, training: dataset, trainingIndices: try split.trainingIndices(in: dataset))
                boxes = try regionBoxes(from: reports[roi.from]!, stage: roi.from, margin: roi.margin, external: external)
            }
            let prepare: (ExperimentRunner) throws -> Void = { runner in
                runner.presetSplit = split
                runner.regionBoxes = boxes
            }
            let report: Report
            if let sweep = stage.config.sweep {
                // A stage's sweep is local (the config refuses slurm there), so it always reports.
                guard let stageReport = try study.runSweep(study.sharedData(stage.document), sweep: sweep, experiment: stage.config.experiment, prepare: prepare) else {
                    throw RunError("stage \(stage.config.experiment): its sweep returned no report")
                }
                report = stageReport
            } else {
                let name = stage.config.model.name
                let trial = try study.trialConfig(study.sharedData(stage.document), entry: TrialEntry(name: name, overrides: []), architecture: false)
                report = try Report(experiment: stage.config.experiment, results: [try study.runTrial(trial, name: name, prepare: prepare)], metrics: trial.eval.metrics)
                try report.write(to: study.runsRoot.appendingPathComponent(stage.config.experiment))
            }
            reports[stage.name] = report
            ordered.append(report)
        }
        return ordered
    }

    /// Boxes around the masks the best segmentation model of `report` predicts for every sample.
    func regionBoxes(from report: Report, stage: String, margin: Double, external: [Dataset] = []) throws -> [String: RegionBox] {
        let scored = report.results.map { ($0, $0.run.bestValidationScore ?? $0.metrics.train.dice ?? -1) }
        guard let (best, score) = scored.max(by: { $0.1 < $1.1 }), best.metrics.test.dice != nil || best.train.segmentation.count > 0 else {
            throw RunError("stage \(stage) has no segmentation model to draw regions of interest with")
        }
        let restored = try RestoredRun(best.run.url)
        study.progress.message(String(format: "regions of interest: %@ of stage %@ (validation Dice %.3f)", best.architecture, stage, score))
        var boxes = [String: RegionBox]()
        var (empty, total) = (0, 0)
        let sets: [Dataset] = [restored.dataset] + external
        for set in sets {
            let loader = try restored.evaluationLoader(Array(0..<set.count), dataset: set)
            _ = try Predictor(models: [restored.model], task: .segmentation, loss: nil).predict(loader) { id, map in
                if let box = RegionBox(labels: map.labels, shape: map.shape, margin: margin) { boxes[id] = box } else { empty += 1 }
            }
            total += set.count
        }
        if empty > 0 { study.progress.message("regions of interest: no mask predicted for \(empty) of \(total) images; those are used whole") }
        return boxes
    }
}
