import Foundation
import ZooData
import ZooMetrics
import ZooTensor

/// A reader study (`readers:`), as the parotid study's Table 5: each reader's AUC with its
/// DeLong CI, sensitivity and specificity alone and with the model's help, the AUC change with
/// its paired DeLong p, NRI and IDI of assisted over alone, and the readers' agreement on their
/// binary reads (Cohen's kappa per pair, Fleiss' kappa for three or more), per test set.
struct ReaderStudy {
    /// One reading: a score and the binary call.
    struct Read { var score: Double; var call: Int }

    struct Reader {
        let name: String
        let alone: [String: Read]
        let assisted: [String: Read]
    }

    let readers: [Reader]

    /// Reads (or, for simulated readers, draws and writes into `folder`) every reader's
    /// scores; each file must hold exactly the ids of `truth` (every test set's cases).
    init(_ configs: [ReaderConfig], truth: [String: Int], base: URL?, folder: URL) throws {
        readers = try configs.map { config in
            if let (aloneAUC, assistedAUC) = config.simulatedAUC {
                let (alone, assisted) = try ReaderStudy.simulate(truth, aloneAUC: aloneAUC, assistedAUC: assistedAUC, seed: config.seed)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for (suffix, reads) in [("alone", alone), ("assisted", assisted)] {
                    let lines = ["id,score,call"] + truth.keys.sorted().map { "\(CSV.escape($0)),\(reads[$0]!.score),\(reads[$0]!.call)" }
                    try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("\(config.name)-\(suffix).csv"), atomically: true, encoding: .utf8)
                }
                return Reader(name: config.name, alone: alone, assisted: assisted)
            }
            func read(_ path: String) throws -> [String: Read] {
                let url = base.map { URL(fileURLWithPath: path, relativeTo: $0) } ?? URL(fileURLWithPath: path)
                return try ReaderStudy.read(url, reader: config.name, truth: truth)
            }
            return Reader(name: config.name, alone: try read(config.alone!), assisted: try read(config.assisted!))
        }
    }

    /// `id,score[,call]`; without a call column a score of 0.5 or more is a positive read.
    static func read(_ url: URL, reader: String, truth: [String: Int]) throws -> [String: Read] {
        let rows = CSV.parse(try UserFile.text(url, what: "reader \(reader)'s scores"))
        guard let header = rows.first?.fields, let id = header.firstIndex(of: "id"), let score = header.firstIndex(of: "score") else {
            throw RunError("\(url.path): a reader's CSV needs id and score columns (and optionally call)")
        }
        let call = header.firstIndex(of: "call")
        var reads = [String: Read]()
        for row in rows.dropFirst() {
            let cells = row.fields
            guard cells.count == header.count, let value = Double(cells[score]), value.isFinite else {
                throw RunError("\(url.path), line \(row.line): not id,score\(call == nil ? "" : ",call") with a number")
            }
            let binary = call.flatMap { Int(cells[$0]) } ?? (value >= 0.5 ? 1 : 0)
            guard binary == 0 || binary == 1 else { throw RunError("\(url.path), line \(row.line): call must be 0 or 1") }
            reads[cells[id]] = Read(score: value, call: binary)
        }
        let unknown = Set(reads.keys).subtracting(truth.keys), missing = Set(truth.keys).subtracting(reads.keys)
        guard unknown.isEmpty, missing.isEmpty else {
            throw RunError(
                "\(url.path): reader \(reader)'s ids do not match the test sets: "
                    + (unknown.isEmpty ? "" : "\(unknown.count) unknown (\(unknown.sorted().prefix(3).joined(separator: ", ")))")
                    + (unknown.isEmpty || missing.isEmpty ? "" : ", ")
                    + (missing.isEmpty ? "" : "\(missing.count) test cases unread (\(missing.sorted().prefix(3).joined(separator: ", ")))"))
        }
        return reads
    }

    /// A binormal reader: score = label x d + noise with d = sqrt(2) Phi^-1(AUC); the assisted
    /// reading shares 60% of the reader's noise; probabilities by the logistic of the score
    /// less d / 2, calls at 0.5. Each case's draw depends on the reader's seed and the id.
    static func simulate(_ truth: [String: Int], aloneAUC: Double, assistedAUC: Double, seed: UInt64) throws -> ([String: Read], [String: Read]) {
        let (dAlone, dAssisted) = (2.0.squareRoot() * (try Normal.quantile(aloneAUC)), 2.0.squareRoot() * (try Normal.quantile(assistedAUC)))
        var alone = [String: Read](), assisted = [String: Read]()
        for (id, label) in truth {
            var hasher = RunFingerprint.FNV1a()
            hasher.add(id)
            var random = RandomGenerator(seed: SeedMix.mix(seed, hasher.state))
            let (z1, z2) = (Double(random.nextNormal()), Double(random.nextNormal()))
            func read(_ d: Double, _ noise: Double) -> Read {
                let p = 1 / (1 + exp(-(Double(label) * d + noise - d / 2)))
                return Read(score: p, call: p >= 0.5 ? 1 : 0)
            }
            alone[id] = read(dAlone, z1)
            assisted[id] = read(dAssisted, 0.6 * z1 + 0.8 * z2)
        }
        return (alone, assisted)
    }

    /// The table and agreement of one test set (`ids` with `labels`).
    func blocks(set: String, ids: [String], labels: [Int]) -> [ReportDocument.Block] {
        guard !readers.isEmpty else { return [] }
        let outcomes = labels.map { $0 == 1 }
        func scores(_ reads: [String: Read]) -> [Double] { ids.map { reads[$0]!.score } }
        func calls(_ reads: [String: Read]) -> [Int] { ids.map { reads[$0]!.call } }
        func auc(_ values: [Double]) -> String {
            // One class in the set: no AUC ("-").
            Report.aucCell(try? DeLong.confidenceInterval(try BinaryScores(scores: values, labels: outcomes)))
        }
        func rates(_ reads: [Int]) -> (String, String) {
            func rate(_ label: Int) -> String {
                let cases = zip(reads, labels).filter { $0.1 == label }
                // A set without positives (or negatives) has no sensitivity (specificity): "-".
                return cases.isEmpty ? "-" : String(format: "%.3f", Double(cases.filter { $0.0 == label }.count) / Double(cases.count))
            }
            return (rate(1), rate(0))
        }
        var rows = [[String]]()
        for reader in readers {
            let (alone, assisted) = (scores(reader.alone), scores(reader.assisted))
            let (sensitivityAlone, specificityAlone) = rates(calls(reader.alone))
            let (sensitivityAssisted, specificityAssisted) = rates(calls(reader.assisted))
            // Undefined statistics (identical rankings, scores outside 0...1 for IDI) show "-".
            let test = try? DeLong.pairedTest(scores1: assisted, scores2: alone, labels: outcomes)
            let nri = try? ReclassificationStatistics.continuousNRI(old: alone, new: assisted, outcomes: outcomes)
            let idi = try? ReclassificationStatistics.idi(old: alone, new: assisted, outcomes: outcomes)
            rows.append([
                reader.name, auc(alone), auc(assisted),
                test.map { String(format: "%+.3f (p %@)", $0.auc1 - $0.auc2, Report.pValue($0.p)) } ?? "-",
                sensitivityAlone, sensitivityAssisted, specificityAlone, specificityAssisted,
                nri.map { Report.withP($0.nri, $0.p) } ?? "-", idi.map { Report.withP($0.idi, $0.p) } ?? "-",
            ])
        }
        var blocks: [ReportDocument.Block] = [
            .paragraph("Readers on \(set), without and with the model (AUC with DeLong 95% CI; the change with its paired DeLong p; NRI and IDI of the assisted reading over the reader alone):"),
            .table(
                header: ["reader", "AUC alone", "AUC assisted", "change (p)", "sensitivity alone", "sensitivity assisted", "specificity alone", "specificity assisted", "NRI (p)", "IDI (p)"],
                rows: rows),
        ]
        if readers.count >= 2 {
            var agreement = [[String]]()
            for reading in ["alone", "assisted"] {
                let reads = readers.map { calls(reading == "alone" ? $0.alone : $0.assisted) }
                for i in readers.indices {
                    for j in readers.indices where j > i {
                        let kappa = (try? Agreement.cohenKappa(reads[i], reads[j])).map { String(format: "%.3f", $0) } ?? "-"
                        agreement.append(["\(readers[i].name) and \(readers[j].name)", reading, "Cohen's kappa \(kappa)"])
                    }
                }
                if readers.count >= 3 {
                    let kappa = (try? Agreement.fleissKappa(reads)).map { String(format: "%.3f", $0) } ?? "-"
                    agreement.append(["all \(readers.count) readers", reading, "Fleiss' kappa \(kappa)"])
                }
            }
            blocks += [.paragraph("Agreement of the binary reads on \(set):"), .table(header: ["readers", "reading", "kappa"], rows: agreement)]
        }
        return blocks
    }

    /// The readers' curves for a decision-curve figure of one set.
    func decisionSets(ids: [String], labels: [Int]) -> [(name: String, predictions: Predictions)] {
        readers.flatMap { reader in
            [("alone", reader.alone), ("assisted", reader.assisted)].map { reading, reads in
                var p = Predictions()
                p.ids = ids
                p.labels = labels
                p.probabilities = ids.map { id in let s = Swift.min(Swift.max(reads[id]!.score, 0), 1); return [1 - s, s] }
                return ("\(reader.name) \(reading)", p)
            }
        }
    }
}
