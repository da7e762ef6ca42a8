import Foundation
import ZooCore
import ZooData
import ZooNN

/// Patient-level results (`eval.aggregate: {by: patient, rule}`): the images of one patient
/// (slices, views) combine into one score, the mean or the maximum of their probabilities, or
/// the probabilities of the image with the largest region of interest (the parotid study's
/// rule); the patient's class is its images' class, which must agree.
public struct PatientAggregation: Sendable, Equatable {
    /// `eval.aggregate.rule` (declared with the config, which reads it).
    public typealias Rule = PatientAggregationRule

    public var rule: Rule

    /// One row per patient (id = the patient), in the order patients first appear.
    /// `groups` maps sample ids to patients (samples without one are their own patient);
    /// `roiSizes` gives each image's region of interest (largest_roi).
    public func aggregate(_ p: Predictions, groups: [String: String], roiSizes: [String: Double] = [:]) throws -> Predictions {
        guard p.segmentation.isEmpty else { throw RunError("eval.aggregate combines classification scores; segmentation is per image") }
        var order = [String]()
        var members = [String: [Int]]()
        for (index, id) in p.ids.enumerated() {
            let patient = groups[id] ?? id
            if members[patient] == nil { order.append(patient) }
            members[patient, default: []].append(index)
        }
        var result = Predictions()
        for patient in order {
            let rows = members[patient]!
            let labels = Set(rows.map { p.labels[$0] })
            guard labels.count == 1 else {
                throw RunError("eval.aggregate: patient '\(patient)' has images of different classes (\(labels.sorted())); a patient has one class")
            }
            let probabilities = rows.map { p.probabilities[$0] }
            let combined: [Double]
            switch rule {
            case .mean:
                combined = probabilities[0].indices.map { k in probabilities.reduce(0) { $0 + $1[k] } / Double(rows.count) }
            case .max:
                // The image most for the positive class (the last class): its probabilities.
                combined = probabilities.max { $0.last! < $1.last! }!
            case .largestROI:
                guard rows.allSatisfy({ roiSizes[p.ids[$0]] != nil }) else {
                    throw RunError("eval.aggregate rule largest_roi needs regions of interest (a pipeline stage with roi:); patient '\(patient)' has images without one")
                }
                combined = p.probabilities[rows.max { roiSizes[p.ids[$0]]! < roiSizes[p.ids[$1]]! }!]
            }
            result.ids.append(patient)
            result.labels.append(labels.first!)
            result.probabilities.append(combined)
        }
        return result
    }

    /// Every set of a run aggregated: patients from the samples' groups in `datasets` (the
    /// run's and its external sets'), region sizes from `boxes` (largest_roi).
    func aggregate(_ sets: PredictionSets, datasets: [Dataset], boxes: [String: RegionBox]?) throws -> PredictionSets {
        var groups = [String: String]()
        for dataset in datasets {
            for index in 0..<dataset.count {
                let info = dataset.info(at: index)
                if let group = info.group { groups[info.id] = group }
            }
        }
        let sizes = (boxes ?? [:]).mapValues { box in zip(box.lower, box.upper).reduce(1.0) { $0 * ($1.1 - $1.0) } }
        return PredictionSets(
            train: try aggregate(sets.train, groups: groups, roiSizes: sizes),
            validation: try sets.validation.map { try aggregate($0, groups: groups, roiSizes: sizes) },
            test: try aggregate(sets.test, groups: groups, roiSizes: sizes),
            external: try sets.external.map { (name: $0.name, predictions: try aggregate($0.predictions, groups: groups, roiSizes: sizes)) })
    }
}

/// The predictions of a run's sets: training, validation, test and the external test sets.
public struct PredictionSets {
    public var train: Predictions
    public var validation: Predictions?
    public var test: Predictions
    public var external: [(name: String, predictions: Predictions)]

    /// The sets' metrics as the config asks: per image, or with `eval.aggregate` per patient
    /// (the aggregated sets are returned) with the per-image metrics beside. `datasets` give
    /// the samples' patients, `boxes` the regions of interest.
    func evaluated(task: ArchitectureTask, eval: EvalConfig, seed: UInt64, datasets: [Dataset], boxes: [String: RegionBox]?) throws
        -> (sets: PredictionSets, metrics: EvaluationMetrics, imageMetrics: EvaluationMetrics?)
    {
        guard let rule = eval.aggregateRule else {
            return (self, try EvaluationMetrics(self, task: task, eval: eval, seed: seed), nil)
        }
        let patients = try PatientAggregation(rule: rule).aggregate(self, datasets: datasets, boxes: boxes)
        return (
            patients, try EvaluationMetrics(patients, task: task, eval: eval, seed: seed),
            try EvaluationMetrics(self, task: task, eval: eval, seed: seed)
        )
    }
}

extension EvaluationMetrics {
    /// The metrics of every set of `sets`.
    init(_ sets: PredictionSets, task: ArchitectureTask, eval: EvalConfig, seed: UInt64) throws {
        try self.init(
            train: sets.train, validation: sets.validation, test: sets.test, external: sets.external, task: task, eval: eval, seed: seed)
    }
}
