import Foundation
import ZooData
import ZooExplain
import ZooPlots
import ZooMetrics

/// Scores from any source compared on the same cases: models' predictions.csv, readers'
/// ratings with and without a model's help, another tool's output. Each CSV holds an id, a
/// 0/1 label and a score column; rows are matched by id. The first source is the reference
/// that NRI and IDI measure the others against (the readers alone, the older model).
public struct PredictionComparison {
    public struct Source {
        public var name: String
        public var scores: [Double]
    }

    public let ids: [String]
    public let labels: [Bool]
    public let sources: [Source]
    /// Risk categories for the categorical NRI (empty: only the category-free NRI).
    public let cutoffs: [Double]

    /// Reads `files` (named by `names`, else by file name). `score` names the score column;
    /// by default a `score` column, else the last column (a predictions.csv's positive class).
    public init(files: [URL], names: [String]? = nil, score: String? = nil, label: String = "label", id: String = "id", cutoffs: [Double] = []) throws {
        guard files.count >= 2 else { throw RunError("compare needs at least two prediction CSVs, got \(files.count)") }
        if let names, names.count != files.count {
            throw RunError("--names gives \(names.count) names for \(files.count) files")
        }
        for (index, cutoff) in cutoffs.enumerated() {
            guard cutoff > 0, cutoff < 1 else { throw RunError("--cutoffs: \(cutoff) is not a risk between 0 and 1") }
            if index > 0, cutoff <= cutoffs[index - 1] {
                throw RunError(
                    "--cutoffs must ascend (they bound risk categories from low to high): \(cutoffs[index - 1]) is followed by \(cutoff)")
            }
        }
        var tables = [(name: String, rows: [String: (label: Bool, score: Double)], order: [String])]()
        for (index, file) in files.enumerated() {
            let text = try UserFile.text(file, what: "predictions CSV")
            let rows = CSV.parse(text)
            guard let header = rows.first?.fields else { throw RunError("\(file.path): empty") }
            func column(_ name: String) throws -> Int {
                guard let at = header.firstIndex(of: name) else {
                    throw RunError("\(file.path): no column '\(name)' (columns: \(header.joined(separator: ", ")))")
                }
                return at
            }
            let idColumn = try column(id), labelColumn = try column(label)
            let scoreColumn = try score.map(column) ?? header.firstIndex(of: "score") ?? header.count - 1
            var table = [String: (label: Bool, score: Double)]()
            var order = [String]()
            for row in rows.dropFirst() {
                let cells = row.fields
                guard cells.count == header.count else { throw RunError("\(file.path), line \(row.line): \(cells.count) cells for \(header.count) columns") }
                guard let value = Double(cells[scoreColumn]), value.isFinite else {
                    throw RunError("\(file.path), line \(row.line): score '\(cells[scoreColumn])' in column \(header[scoreColumn]) is not a number")
                }
                let flag: Bool
                switch cells[labelColumn].lowercased() {
                case "1", "true", "yes": flag = true
                case "0", "false", "no": flag = false
                default: throw RunError("\(file.path), line \(row.line): label '\(cells[labelColumn])' is not 0 or 1")
                }
                guard table[cells[idColumn]] == nil else { throw RunError("\(file.path), line \(row.line): id '\(cells[idColumn])' appears twice") }
                table[cells[idColumn]] = (flag, value)
                order.append(cells[idColumn])
            }
            tables.append((names?[index] ?? PredictionComparison.defaultName(file, among: files), table, order))
        }
        let shared = tables[0].order.filter { id in tables.allSatisfy { $0.rows[id] != nil } }
        guard !shared.isEmpty else { throw RunError("the CSVs share no id") }
        for table in tables.dropFirst() {
            for id in shared where table.rows[id]!.label != tables[0].rows[id]!.label {
                throw RunError("case '\(id)' has label \(tables[0].rows[id]!.label ? 1 : 0) in \(tables[0].name) and \(table.rows[id]!.label ? 1 : 0) in \(table.name)")
            }
        }
        ids = shared
        labels = shared.map { tables[0].rows[$0]!.label }
        let positives = labels.filter { $0 }.count
        guard positives > 0, positives < labels.count else {
            throw RunError(
                "all \(labels.count) matched cases are \(positives > 0 ? "positive" : "negative") (label \(positives > 0 ? 1 : 0)): "
                    + "AUC, DeLong, NRI and IDI compare how scores separate the two classes and need cases of both")
        }
        sources = tables.map { table in Source(name: table.name, scores: shared.map { table.rows[$0]!.score }) }
        self.cutoffs = cutoffs
        // Cases missing from some file are left out of every comparison, and said so.
        dropped = tables.map { $0.order.count - shared.count }
    }

    /// The file's name, or its folder's when file names repeat (runs' predictions.csv).
    static func defaultName(_ file: URL, among files: [URL]) -> String {
        let stem = file.deletingPathExtension().lastPathComponent
        let repeated = files.filter { $0.deletingPathExtension().lastPathComponent == stem }.count > 1
        return repeated ? file.deletingLastPathComponent().lastPathComponent : stem
    }

    /// Per source, the cases left out because another file lacks them.
    public let dropped: [Int]

    /// The tables; a statistic undefined for these scores (zero variance, scores outside
    /// 0...1 for IDI) shows "-" with the reason where one is needed.
    public var document: ReportDocument {
        var doc = ReportDocument(title: "Comparison of \(sources.map(\.name).joined(separator: ", "))")
        let positives = labels.filter { $0 }.count
        var note = "\(ids.count) cases matched by id (\(positives) positive, \(ids.count - positives) negative)."
        if dropped.contains(where: { $0 > 0 }) {
            note += " Left out, missing from another file: " + zip(sources, dropped).map { "\($0.name) \($1)" }.joined(separator: ", ") + "."
        }
        doc.add(.paragraph(note))
        let data = sources.map { try? BinaryScores(scores: $0.scores, labels: labels) }
        doc.add(.table(header: ["source", "AUC (95% CI)"], rows: zip(sources, data).map { source, scores in
            [source.name, Report.aucCell(scores.flatMap { try? DeLong.confidenceInterval($0) })]
        }))
        doc.add(.paragraph("DeLong p-values (paired):"))
        doc.add(.table(header: [""] + sources.map(\.name), rows: sources.indices.map { i in
            [sources[i].name] + sources.indices.map { j in
                // Identical rankings have no test (zero variance of the difference): "-".
                guard i != j, let a = data[i], let b = data[j], let test = try? DeLong.pairedTest(a, b) else { return "-" }
                return Report.pValue(test.p)
            }
        }))
        let reference = sources[0]
        var header = ["against \(reference.name)", "NRI (p)", "events NRI", "non-events NRI"]
        if !cutoffs.isEmpty { header.append("NRI at \(cutoffs.map { String($0) }.joined(separator: "/")) (p)") }
        header.append("IDI (p)")
        doc.add(.table(header: header, rows: sources.dropFirst().map { source in
            var row = [source.name]
            if let nri = try? ReclassificationStatistics.continuousNRI(old: reference.scores, new: source.scores, outcomes: labels) {
                row += [Report.withP(nri.nri, nri.p), Report.cell(nri.eventNRI), Report.cell(nri.nonEventNRI)]
            } else {
                row += ["-", "-", "-"]
            }
            if !cutoffs.isEmpty {
                row.append((try? ReclassificationStatistics.nri(old: reference.scores, new: source.scores, outcomes: labels, cutoffs: cutoffs)).map { Report.withP($0.nri, $0.p) } ?? "- (scores must be probabilities)")
            }
            row.append((try? ReclassificationStatistics.idi(old: reference.scores, new: source.scores, outcomes: labels)).map { Report.withP($0.idi, $0.p) } ?? "- (scores must be probabilities)")
            return row
        }))
        if rocFigure != nil { doc.add(.figure(file: "roc.svg", caption: "ROC curves")) }
        return doc
    }

    var rocFigure: Figure? {
        let curves = sources.compactMap { source -> (name: String, curve: ROCCurve)? in
            guard let scores = try? BinaryScores(scores: source.scores, labels: labels), let curve = try? ROCCurve(scores) else { return nil }
            return (source.name, curve)
        }
        return curves.isEmpty ? nil : try? Plots.rocCurves(curves, title: "ROC curves")
    }

    /// Writes report.md, report.html and roc.svg into `folder`.
    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try rocFigure?.writeSVG(to: folder.appendingPathComponent("roc.svg"))
        try document.write(to: folder)
    }
}
