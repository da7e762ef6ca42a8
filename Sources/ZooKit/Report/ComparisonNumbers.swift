import Foundation
import ZooMetrics

/// Every number of a `PredictionComparison` at full precision, for scripts that check them
/// (`zoo compare --format json`): each source's AUC with its DeLong variance and 95% CI, each
/// pair's DeLong test (variances, covariance, z, p), and NRI and IDI against the first source
/// with their standard errors. A statistic that is undefined for the data has no value and an
/// `error` field with the reason; infinities and NaN are written as strings.
public struct ComparisonNumbers: Encodable {
    struct Source: Encodable {
        var name: String
        var auc: Double?
        var aucVariance: Double?
        var ciLower: Double?
        var ciUpper: Double?
        var error: String?
    }

    struct Pair: Encodable {
        var first: String
        var second: String
        var auc1: Double?
        var auc2: Double?
        var variance1: Double?
        var variance2: Double?
        var covariance: Double?
        var z: Double?
        var p: Double?
        var error: String?
    }

    struct Statistic: Encodable {
        var value: Double?
        var eventComponent: Double?
        var nonEventComponent: Double?
        var standardError: Double?
        var z: Double?
        var p: Double?
        var error: String?
    }

    struct Reclassification: Encodable {
        var reference: String
        var source: String
        var nri: Statistic
        var categoricalNRI: Statistic?
        var idi: Statistic
    }

    var cases: Int
    var positives: Int
    var negatives: Int
    var cutoffs: [Double]
    var droppedCases: [String: Int]
    var sources: [Source]
    var delong: [Pair]
    var reclassification: [Reclassification]

    public init(_ comparison: PredictionComparison) {
        let labels = comparison.labels
        cases = labels.count
        positives = labels.filter { $0 }.count
        negatives = cases - positives
        cutoffs = comparison.cutoffs
        droppedCases = Dictionary(uniqueKeysWithValues: zip(comparison.sources.map(\.name), comparison.dropped))
        func message(_ error: Error) -> String { "\(error)" }
        let data = comparison.sources.map { source in Result { try BinaryScores(scores: source.scores, labels: labels) } }
        sources = zip(comparison.sources, data).map { source, scores in
            do {
                let interval = try DeLong.confidenceInterval(try scores.get())
                return Source(name: source.name, auc: interval.auc, aucVariance: interval.variance, ciLower: interval.lower, ciUpper: interval.upper)
            } catch {
                return Source(name: source.name, error: message(error))
            }
        }
        var pairs = [Pair]()
        for i in comparison.sources.indices {
            for j in comparison.sources.indices where j > i {
                let (a, b) = (comparison.sources[i].name, comparison.sources[j].name)
                do {
                    let test = try DeLong.pairedTest(try data[i].get(), try data[j].get())
                    pairs.append(Pair(
                        first: a, second: b, auc1: test.auc1, auc2: test.auc2, variance1: test.variance1, variance2: test.variance2,
                        covariance: test.covariance, z: test.statistic, p: test.p))
                } catch {
                    pairs.append(Pair(first: a, second: b, error: message(error)))
                }
            }
        }
        delong = pairs
        let reference = comparison.sources[0]
        reclassification = comparison.sources.dropFirst().map { source in
            func statistic(_ body: () throws -> (Double, Double?, Double?, Double, Double, Double)) -> Statistic {
                do {
                    let (value, events, nonEvents, se, z, p) = try body()
                    return Statistic(value: value, eventComponent: events, nonEventComponent: nonEvents, standardError: se, z: z, p: p)
                } catch {
                    return Statistic(error: message(error))
                }
            }
            let nri = statistic {
                let r = try ReclassificationStatistics.continuousNRI(old: reference.scores, new: source.scores, outcomes: labels)
                return (r.nri, r.eventNRI, r.nonEventNRI, r.standardError, r.z, r.p)
            }
            let categorical = comparison.cutoffs.isEmpty ? nil : statistic {
                let r = try ReclassificationStatistics.nri(old: reference.scores, new: source.scores, outcomes: labels, cutoffs: comparison.cutoffs)
                return (r.nri, r.eventNRI, r.nonEventNRI, r.standardError, r.z, r.p)
            }
            let idi = statistic {
                let r = try ReclassificationStatistics.idi(old: reference.scores, new: source.scores, outcomes: labels)
                return (r.idi, r.eventsMeanChange, r.nonEventsMeanChange, r.standardError, r.z, r.p)
            }
            return Reclassification(reference: reference.name, source: source.name, nri: nri, categoricalNRI: categorical, idi: idi)
        }
    }

    /// The numbers as JSON (snake_case keys, full precision, null where undefined).
    public var json: String {
        get throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
        }
    }
}
