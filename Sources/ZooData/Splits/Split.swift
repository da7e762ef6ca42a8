import Foundation
import ZooCore
import ZooTensor

/// A partition of a dataset's samples into named parts (`train`, `validation`, `test`), by
/// sample id, so that it can be saved as JSON and reloaded against the same data.
public struct Split: Codable, Equatable, Sendable {
    /// Part name to sample ids, each list in dataset order.
    public var parts: [String: [String]]
    /// How the split was made (for the record: method, seed, fractions).
    public var method: String

    public init(parts: [String: [String]], method: String) {
        self.parts = parts
        self.method = method
    }

    /// The dataset indices of part `name`; an id the dataset lacks is an error.
    public func indices(_ name: String, in dataset: Dataset) throws -> [Int] {
        guard let ids = parts[name] else {
            throw DataError("split", "no part '\(name)'; parts: \(parts.keys.sorted())")
        }
        var position: [String: Int] = [:]
        for index in 0..<dataset.count { position[dataset.info(at: index).id] = index }
        return try ids.map { id in
            guard let index = position[id] else { throw DataError("split", "sample id '\(id)' of part '\(name)' is not in the dataset") }
            return index
        }
    }

    /// The indices of the parts a model learns from or is selected on (`train` and, when
    /// there is one, `validation`): what no test set may share a patient with.
    public func trainingIndices(in dataset: Dataset) throws -> [Int] {
        try indices("train", in: dataset) + (parts["validation"] != nil ? try indices("validation", in: dataset) : [])
    }

    /// Writes the split as JSON.
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileAccess.write(try encoder.encode(self), to: url)
    }

    /// Reads a split written by `save`.
    public static func load(from url: URL) throws -> Split {
        do {
            return try JSONDecoder().decode(Split.self, from: try FileAccess.read(url))
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(url.path, "not a split file: \(error)")
        }
    }
}

/// Ways of splitting. Every method can keep each group (patient) on one side and can
/// stratify by class; all are reproducible from the seed.
public enum Splitter {
    /// Splits by `fractions`, in order (for instance `[("train", 0.8), ("validation", 0.2)]`,
    /// or a third part `("test", ...)`; the fractions are normalized by their sum). `stratified` keeps the class proportions in every part (samples without
    /// a label form their own stratum); `grouped` keeps every group on one side, and
    /// stratifies groups by their most common label.
    public static func split(
        _ dataset: Dataset, fractions: [(String, Double)], stratified: Bool, grouped: Bool = true, seed: UInt64
    ) throws -> Split {
        let total = fractions.reduce(0) { $0 + $1.1 }
        guard total > 0, fractions.allSatisfy({ $0.1 >= 0 }) else {
            throw DataError("split", "fractions must be non-negative with a positive sum: \(fractions)")
        }
        let units = makeUnits(dataset, grouped: grouped)
        var random = RandomGenerator(seed: seed)
        var assigned: [[Int]] = Array(repeating: [], count: fractions.count)
        for stratum in strata(units, stratified: stratified) {
            var members = stratum
            shuffle(&members, &random)
            let size = members.reduce(0) { $0 + units[$1].samples.count }
            var cumulative = 0, part = 0
            var boundary = 0.0
            for unit in members {
                // A unit goes to the first part whose cumulative target its midpoint has not
                // passed, so parts come out within one group of their target.
                let midpoint = Double(cumulative) + Double(units[unit].samples.count) / 2
                boundary = fractions[...part].reduce(0) { $0 + $1.1 } / total * Double(size)
                while midpoint > boundary && part < fractions.count - 1 {
                    part += 1
                    boundary = fractions[...part].reduce(0) { $0 + $1.1 } / total * Double(size)
                }
                assigned[part].append(contentsOf: units[unit].samples)
                cumulative += units[unit].samples.count
            }
        }
        var parts: [String: [String]] = [:]
        for (i, (name, _)) in fractions.enumerated() {
            parts[name] = assigned[i].sorted().map { dataset.info(at: $0).id }
        }
        let description = fractions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        return Split(parts: parts, method: "\(stratified ? "stratified" : "random") \(description)\(grouped ? " grouped" : "") seed=\(seed)")
    }

    /// The fixed split a manifest's split column gives (`SampleInfo.split`), followed
    /// exactly: the published split of a study, or a split by centre. Every sample must carry
    /// one of `train`, `validation` (or `val`) and `test`; any other value, or none, is an
    /// error naming the sample and its file. A group (patient) found in two parts is an error
    /// too: it would leak between training and test.
    public static func column(_ dataset: Dataset) throws -> Split {
        let names = ["train": "train", "validation": "validation", "val": "validation", "test": "test"]
        var parts: [String: [String]] = [:]
        var partOfGroup: [String: (part: String, id: String)] = [:]
        for index in 0..<dataset.count {
            let info = dataset.info(at: index)
            let file = info.path.map { " (\($0))" } ?? ""
            guard let value = info.split?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                throw DataError("data.split", "method column: sample '\(info.id)'\(file) has no split value; every row needs train, validation or test")
            }
            guard let part = names[value.lowercased()] else {
                throw DataError("data.split", "method column: sample '\(info.id)'\(file) has split '\(value)', not train, validation or test")
            }
            if let group = info.group {
                if let seen = partOfGroup[group], seen.part != part {
                    throw DataError(
                        "data.split", "method column: patient '\(group)' is in \(seen.part) (sample '\(seen.id)') and in \(part) (sample '\(info.id)')")
                }
                partOfGroup[group] = (part, info.id)
            }
            parts[part, default: []].append(info.id)
        }
        guard parts["train"] != nil else { throw DataError("data.split", "method column: no sample is marked train") }
        return Split(parts: parts, method: "column")
    }

    /// Fold `fold` of `folds`-fold cross-validation: that fold is `validation`, the rest
    /// `train`. Stratified and grouped like `split`; every sample is in exactly one
    /// fold's validation part.
    public static func kFold(
        _ dataset: Dataset, folds: Int, fold: Int, stratified: Bool = true, grouped: Bool = true, seed: UInt64
    ) throws -> Split {
        guard folds >= 2, (0..<folds).contains(fold) else {
            throw DataError("k-fold", "fold \(fold) of \(folds) is not valid (need folds >= 2, 0 <= fold < folds)")
        }
        let units = makeUnits(dataset, grouped: grouped)
        var random = RandomGenerator(seed: seed)
        var sizes = [Int](repeating: 0, count: folds)
        var validation: [Int] = [], train: [Int] = []
        for stratum in strata(units, stratified: stratified) {
            var members = stratum
            shuffle(&members, &random)
            // Largest groups first into the currently smallest fold: balanced folds.
            members.sort { units[$0].samples.count > units[$1].samples.count }
            var stratumSizes = [Int](repeating: 0, count: folds)
            for unit in members {
                let target = (0..<folds).min { (stratumSizes[$0], sizes[$0], $0) < (stratumSizes[$1], sizes[$1], $1) }!
                stratumSizes[target] += units[unit].samples.count
                sizes[target] += units[unit].samples.count
                if target == fold { validation += units[unit].samples } else { train += units[unit].samples }
            }
        }
        return Split(
            parts: ["train": train.sorted().map { dataset.info(at: $0).id },
                    "validation": validation.sorted().map { dataset.info(at: $0).id }],
            method: "\(folds)-fold fold=\(fold)\(stratified ? " stratified" : "")\(grouped ? " grouped" : "") seed=\(seed)")
    }

    /// A unit of assignment: one group's samples (or one sample) and its stratum label.
    struct Unit {
        var samples: [Int]
        var label: Int?
    }

    static func makeUnits(_ dataset: Dataset, grouped: Bool) -> [Unit] {
        var units: [Unit] = []
        var byGroup: [String: Int] = [:]
        for index in 0..<dataset.count {
            let info = dataset.info(at: index)
            if grouped, let group = info.group {
                if let unit = byGroup[group] {
                    units[unit].samples.append(index)
                } else {
                    byGroup[group] = units.count
                    units.append(Unit(samples: [index], label: nil))
                }
            } else {
                units.append(Unit(samples: [index], label: info.label))
            }
        }
        // A group's label is its most common one (ties to the smaller index).
        for u in units.indices where units[u].samples.count > 1 || units[u].label == nil {
            var counts: [Int: Int] = [:]
            for index in units[u].samples { if let l = dataset.info(at: index).label { counts[l, default: 0] += 1 } }
            units[u].label = counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key
        }
        return units
    }

    /// Unit indices per stratum (one stratum when not stratified), in a fixed order.
    static func strata(_ units: [Unit], stratified: Bool) -> [[Int]] {
        guard stratified else { return [Array(units.indices)] }
        var byLabel: [Int: [Int]] = [:]
        for (u, unit) in units.enumerated() { byLabel[unit.label ?? -1, default: []].append(u) }
        return byLabel.keys.sorted().map { byLabel[$0]! }
    }

    /// Fisher-Yates with the given generator (the standard library's shuffle does not
    /// promise a stable algorithm across versions).
    public static func shuffle<T>(_ items: inout [T], _ random: inout RandomGenerator) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, random.nextInt(below: i + 1))
        }
    }
}
