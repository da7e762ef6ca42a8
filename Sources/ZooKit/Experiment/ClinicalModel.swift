import Foundation
import ZooCore
import ZooData
import ZooMetrics
import ZooNN

/// The clinical model of a study (`clinical:`): a logistic regression of the two classes on
/// tabular variables, fitted on the training part of the same split the image models use and
/// evaluated like them (threshold on validation, AUC with its DeLong CI, the same test cases,
/// so it joins the DeLong matrix). Written as a run: runs/<experiment>/<name>/ with its
/// predictions, metrics, report and coefficients.csv (estimate, standard error, z, p).
struct ClinicalModel {
    let clinical: ClinicalConfig
    let runner: ExperimentRunner

    func run() throws -> RunResult {
        let config = runner.config
        let dataset = try DataSources.make(config.data, seed: config.seed, base: config.baseDirectory)
        guard dataset.classNames.count == 2 else {
            throw RunError("clinical: a logistic regression separates two classes; the data has \(dataset.classNames.count)")
        }
        guard let variables = dataset as? ClinicalVariables else {
            throw RunError("clinical: the \(config.data.sourceName) source has no clinical variables (a CSV manifest's extra columns have)")
        }
        for column in clinical.columns where !variables.clinicalColumns.contains(column) {
            throw RunError("clinical: no column '\(column)' in the data (its variables: \(variables.clinicalColumns.joined(separator: ", ")))")
        }
        let split = try runner.split(dataset)
        func part(_ name: String) throws -> Predictions? {
            guard split.parts[name] != nil else { return nil }
            var p = Predictions()
            for index in try split.indices(name, in: dataset) {
                let info = dataset.info(at: index)
                guard let label = info.label else { throw RunError("clinical: sample '\(info.id)' has no label") }
                p.ids.append(info.id)
                p.labels.append(label)
            }
            return p
        }
        var position = [String: Int]()
        for index in 0..<dataset.count { position[dataset.info(at: index).id] = index }
        func rows(_ p: Predictions) throws -> [[Double]] {
            try p.ids.map { id in
                let index = position[id]!
                return try clinical.columns.map { column in
                    guard let value = variables.clinicalValue(column, at: index) else {
                        throw RunError("clinical: sample '\(id)' has no number in column '\(column)'")
                    }
                    return value
                }
            }
        }
        guard var train = try part("train") else { throw RunError("clinical: the split has no training part") }
        let started = Date()
        let model = try LogisticRegression.fit(try rows(train), train.labels.map { $0 == 1 })
        let seconds = Date().timeIntervalSince(started)
        func predicted(_ p: inout Predictions) throws {
            p.probabilities = model.probabilities(try rows(p)).map { [1 - $0, $0] }
        }
        try predicted(&train)
        var validation = try part("validation")
        if validation != nil { try predicted(&validation!) }
        guard var test = try part("test") ?? part("validation") else { throw RunError("clinical: the split has no test part") }
        try predicted(&test)
        let metrics = try EvaluationMetrics(
            train: train, validation: validation, test: test, task: .classification, eval: config.eval, seed: config.seed)

        let run = try RunDirectory.create(root: runner.runsRoot, experiment: config.experiment, run: clinical.name)
        try (try config.resolved.json).write(to: run.config, atomically: true, encoding: .utf8)
        try split.save(to: run.split)
        try Evaluation.writePredictions(train: train, validation: validation, test: test, classNames: dataset.classNames, in: run)
        let name = "logistic regression (\(clinical.columns.joined(separator: ", ")))"
        let timing = RunTiming(architecture: clinical.name, task: ArchitectureTask.classification.rawValue, trainingSeconds: seconds, msPerImage: 0)
        try JSONText.encode(timing).write(to: run.timing, atomically: true, encoding: .utf8)
        let terms = ["(intercept)"] + clinical.columns
        let coefficients = ["term,estimate,standard_error,z,p"] + terms.indices.map {
            "\(terms[$0]),\(model.coefficients[$0]),\(model.standardErrors[$0]),\(model.z[$0]),\(model.p[$0])"
        }
        try (coefficients.joined(separator: "\n") + "\n").write(to: run.url.appendingPathComponent("coefficients.csv"), atomically: true, encoding: .utf8)
        let result = RunResult(
            run: run, architecture: clinical.name, history: [], train: train, validation: validation, test: test, metrics: metrics,
            trainingSeconds: seconds, millisecondsPerImage: 0)
        var summary = "\(name), fitted by maximum likelihood (IRLS, as R's glm) on \(train.ids.count) training cases of the image models' split; "
            + "coefficients with standard errors in coefficients.csv."
        if let threshold = metrics.threshold { summary += " Threshold \(threshold), applied to every set." }
        try RunReport(experiment: config.experiment, result: result, summary: summary, metrics: config.eval.metrics, classNames: dataset.classNames).write()
        try (try metrics.json).write(to: run.metrics, atomically: true, encoding: .utf8)
        runner.progress.message("== \(clinical.name): \(name), test AUC \(metrics.test.auc.map { String(format: "%.3f", $0.auc) } ?? "-")")
        return result
    }
}
