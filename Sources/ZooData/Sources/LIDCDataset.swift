import Foundation
import ZooCore

/// LIDC-IDRI as the archive holds it (the `lidc` source): DICOM series with the XML of up to
/// four readers beside them. Each nodule becomes one 2D patch in HU, centred on the nodule at
/// its central slice, labelled from the readers' median malignancy; the patient is the split
/// group.
///
/// Readers outline the same nodule separately; their outlines are one nodule when they share a
/// voxel (grouped transitively), as pylidc's clustering joins annotations that lie together.
/// The centre is the mean (slice, row, column) of every reader's filled outline (a pixel counts
/// when its centre lies on the polygon or inside it; a pixel two readers fill counts twice),
/// rounded half away from zero; slices are numbered along the slice normal (`DICOMSeries`), 0 the lowest position.
public struct LIDCDataset: Dataset {
    public static let classes = ["benign", "malignant"]

    /// How the median malignancy (1-5) becomes a class.
    public enum LabelRule: Sendable, Equatable {
        /// The LIDC studies' rule: benign below 3, malignant above, 3 (indeterminate) left out.
        case lidc
        /// Malignant at or above the threshold, benign below.
        case threshold(Double)

        func label(_ median: Double) -> Int? {
            switch self {
            case .lidc: return median < 3 ? 0 : (median > 3 ? 1 : nil)
            case .threshold(let t): return median >= t ? 1 : 0
            }
        }
    }

    /// A nodule as the readers' grouped outlines give it.
    public struct Nodule: Sendable {
        public var patient: String
        public var seriesUID: String
        /// The XML's readers (0-based reading sessions) who outlined it, and their ratings.
        public var readers: [Int]
        public var ratings: [Int]
        public var median: Double
        /// The central slice (index along the normal) and its file, and the centre pixel.
        public var slice: Int
        public var sliceFile: String
        public var row: Int
        public var column: Int
        public var xml: String
    }

    public let classNames = LIDCDataset.classes
    public let patchSize: Int
    /// Every nodule found, also those the label rule leaves out.
    public let nodules: [Nodule]
    let entries: [(info: SampleInfo, nodule: Nodule)]

    public init(root: URL, patchSize: Int = 64, rule: LabelRule = .lidc, minimumReaders: Int = 1) throws {
        self.patchSize = patchSize
        let xmlFiles = LIDCDataset.files(under: root, extension: "xml")
        guard !xmlFiles.isEmpty else { throw DataError(root.path, "no LIDC XML files (LIDC-IDRI keeps one beside each series)") }
        var nodules: [Nodule] = []
        for xml in xmlFiles {
            let annotations = try LIDCAnnotations(URL(fileURLWithPath: xml))
            let folder = URL(fileURLWithPath: xml).deletingLastPathComponent()
            let present = try DICOMSeries.scan(folder)
            guard let series = present.first(where: { $0.uid == annotations.seriesUID }) else {
                throw DataError(
                    xml, "ResponseHeader/SeriesInstanceUid \(annotations.seriesUID) matches no series in \(folder.path) (found \(present.map(\.uid).joined(separator: ", ")))")
            }
            let patient = series.patientID ?? folder.pathComponents.first { $0.hasPrefix("LIDC-IDRI-") } ?? folder.lastPathComponent
            nodules += try LIDCDataset.group(annotations, series: series, patient: patient, minimumReaders: minimumReaders)
        }
        self.nodules = nodules
        var entries: [(SampleInfo, Nodule)] = []
        for (index, nodule) in nodules.enumerated() {
            guard let label = rule.label(nodule.median) else { continue }
            let id = "\(nodule.patient)/\(nodule.seriesUID)/nodule\(index)"
            entries.append((SampleInfo(id: id, label: label, group: nodule.patient, path: nodule.sliceFile), nodule))
        }
        guard !entries.isEmpty else { throw DataError(root.path, "no nodule with a label under the rule (\(nodules.count) nodules found)") }
        self.entries = entries
    }

    static func files(under folder: URL, extension ext: String) -> [String] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { ($0 as? URL)?.pathExtension.lowercased() == ext ? ($0 as! URL).path : nil }.sorted()
    }

    /// The readers' nodules of one XML grouped into nodules.
    static func group(_ annotations: LIDCAnnotations, series: DICOMSeries, patient: String, minimumReaders: Int) throws -> [Nodule] {
        let sliceOf = Dictionary(series.headers.enumerated().compactMap { index, header in header.text(.sopInstanceUID).map { ($0, index) } }, uniquingKeysWith: { a, _ in a })
        let rows = Int(series.headers[0].text(.rows) ?? "") ?? 0, columns = Int(series.headers[0].text(.columns) ?? "") ?? 0
        // Each reader's nodule as the set of voxels its outlines fill.
        let filled: [[Int: Set<Int>]] = try annotations.nodules.map { nodule in
            var slices: [Int: Set<Int>] = [:]
            for outline in nodule.outlines.sorted(by: { $0.inclusion && !$1.inclusion }) {
                guard let slice = sliceOf[outline.sopInstanceUID] else {
                    throw DataError(annotations.file, "imageSOP_UID \(outline.sopInstanceUID) of nodule \(nodule.id) (reader \(nodule.reader + 1)) is no slice of series \(series.uid)")
                }
                let pixels = fill(outline.points, rows: rows, columns: columns)
                if outline.inclusion { slices[slice, default: []].formUnion(pixels) } else { slices[slice]?.subtract(pixels) }
            }
            return slices
        }
        // Union-find over annotations sharing a voxel.
        var parent = Array(filled.indices)
        func root(_ a: Int) -> Int { var a = a; while parent[a] != a { a = parent[a] }; return a }
        for a in filled.indices {
            for b in filled.indices where b > a {
                let shares = filled[a].contains { slice, pixels in filled[b][slice].map { !$0.isDisjoint(with: pixels) } ?? false }
                if shares { parent[root(b)] = root(a) }
            }
        }
        var members: [Int: [Int]] = [:]
        for a in filled.indices { members[root(a), default: []].append(a) }
        return members.keys.sorted().compactMap { key -> Nodule? in
            let group = members[key]!
            let readers = Set(group.map { annotations.nodules[$0].reader })
            guard readers.count >= minimumReaders else { return nil }
            var total = 0.0, k = 0.0, r = 0.0, c = 0.0
            for a in group {
                for (slice, pixels) in filled[a] {
                    for pixel in pixels {
                        total += 1
                        k += Double(slice)
                        r += Double(pixel / columns)
                        c += Double(pixel % columns)
                    }
                }
            }
            guard total > 0 else { return nil }
            let ratings = group.map { annotations.nodules[$0].malignancy }.sorted()
            let median = ratings.count % 2 == 1 ? Double(ratings[ratings.count / 2]) : Double(ratings[ratings.count / 2 - 1] + ratings[ratings.count / 2]) / 2
            let slice = Int((k / total).rounded(.toNearestOrAwayFromZero))
            return Nodule(
                patient: patient, seriesUID: series.uid, readers: group.map { annotations.nodules[$0].reader }, ratings: ratings, median: median,
                slice: slice, sliceFile: series.files[slice], row: Int((r / total).rounded(.toNearestOrAwayFromZero)),
                column: Int((c / total).rounded(.toNearestOrAwayFromZero)), xml: annotations.file)
        }
    }

    /// The pixels (row * columns + column) of a closed outline: every pixel whose centre lies
    /// on the polygon or inside it (even-odd rule).
    static func fill(_ points: [(row: Int, column: Int)], rows: Int, columns: Int) -> Set<Int> {
        var pixels = Set(points.filter { (0..<rows).contains($0.row) && (0..<columns).contains($0.column) }.map { $0.row * columns + $0.column })
        guard points.count > 2 else { return pixels }
        let rowRange = max(0, points.map(\.row).min()!)...min(rows - 1, points.map(\.row).max()!)
        let columnRange = max(0, points.map(\.column).min()!)...min(columns - 1, points.map(\.column).max()!)
        for y in rowRange {
            for x in columnRange {
                var inside = false
                var j = points.count - 1
                for i in points.indices {
                    let (yi, xi) = (Double(points[i].row), Double(points[i].column))
                    let (yj, xj) = (Double(points[j].row), Double(points[j].column))
                    if (yi > Double(y)) != (yj > Double(y)), Double(x) < (xj - xi) * (Double(y) - yi) / (yj - yi) + xi { inside.toggle() }
                    j = i
                }
                if inside || onOutline(points, row: y, column: x) { pixels.insert(y * columns + x) }
            }
        }
        return pixels
    }

    /// Whether the pixel centre lies on a segment of the closed outline (integer arithmetic).
    static func onOutline(_ points: [(row: Int, column: Int)], row y: Int, column x: Int) -> Bool {
        var j = points.count - 1
        for i in points.indices {
            let (a, b) = (points[j], points[i])
            j = i
            let cross = (b.column - a.column) * (y - a.row) - (b.row - a.row) * (x - a.column)
            guard cross == 0 else { continue }
            if (min(a.column, b.column)...max(a.column, b.column)).contains(x), (min(a.row, b.row)...max(a.row, b.row)).contains(y) { return true }
        }
        return false
    }

    public var count: Int { entries.count }
    public func info(at index: Int) -> SampleInfo { entries[index].info }

    /// The patch: `patchSize` square in HU around the nodule's centre on its central slice;
    /// beyond the image, -1024 HU (air).
    public func sample(at index: Int) throws -> Sample {
        let (info, nodule) = entries[index]
        let image = try DICOMImage(URL(fileURLWithPath: nodule.sliceFile))
        let slice = image.frame(0)
        let (rows, columns) = (slice.shape[0], slice.shape[1])
        var values = [Float](repeating: -1024, count: patchSize * patchSize)
        let top = nodule.row - patchSize / 2, left = nodule.column - patchSize / 2
        for y in 0..<patchSize where (0..<rows).contains(top + y) {
            for x in 0..<patchSize where (0..<columns).contains(left + x) {
                values[y * patchSize + x] = slice.values[((top + y) * columns + left + x) * slice.channels]
            }
        }
        return Sample(image: ImageArray(shape: [patchSize, patchSize, 1], values: values), label: info.label, info: info, spacing: image.pixelSpacing)
    }
}
