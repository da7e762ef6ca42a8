import Foundation
import ZooCore

/// What to do with a series whose slices are not evenly spaced (a missing slice, or a scan
/// acquired with varying increments).
public enum UnevenSpacing: String, Sendable, CaseIterable {
    /// Stop, naming the gap.
    case refuse
    /// Interpolate linearly along the slice normal onto slices at the series' most common gap.
    case resample
}

/// One DICOM series: the files of one SeriesInstanceUID, sorted by where each slice lies along
/// the slice normal (ImagePositionPatient projected on the cross product of
/// ImageOrientationPatient's row and column directions), never by file name or InstanceNumber,
/// which need not follow the anatomy.
public struct DICOMSeries: Sendable {
    public let uid: String
    /// The headers, sorted along the normal (the first is the lowest position).
    public let headers: [DICOMHeader]
    /// Each slice's position along the normal, in mm, in the same order.
    public let positions: [Double]
    /// The row direction, column direction and normal (LPS, unit vectors).
    let row: [Double], column: [Double], normal: [Double]

    public var files: [String] { headers.map(\.path) }
    public var patientID: String? { headers.first?.text(.patientID) }
    public var studyUID: String? { headers.first?.text(.studyInstanceUID) }

    /// The series of the DICOM files directly in or below `folder`, by UID, sorted by UID.
    public static func scan(_ folder: URL) throws -> [DICOMSeries] {
        let files = dicomFiles(under: folder)
        guard !files.isEmpty else { throw DataError(folder.path, "no DICOM files (.dcm, or files starting with the DICM preamble)") }
        var groups: [String: [DICOMHeader]] = [:]
        for file in files {
            let header = try DICOMHeader(file)
            guard let uid = header.text(.seriesInstanceUID) else {
                throw DataError(file, "no \(DICOMTag.seriesInstanceUID.name): the file cannot be placed in a series")
            }
            groups[uid, default: []].append(header)
        }
        return try groups.keys.sorted().map { try DICOMSeries(uid: $0, headers: groups[$0]!) }
    }

    /// The one series in `folder`; several are an error naming them (a folder is one scan).
    public static func single(in folder: URL) throws -> DICOMSeries {
        let series = try scan(folder)
        guard series.count == 1 else {
            let names = series.map { "\($0.uid) (\($0.headers.count) files, e.g. \(URL(fileURLWithPath: $0.files[0]).lastPathComponent))" }
            throw DataError(folder.path, "holds \(series.count) series, expected one: \(names.joined(separator: "; "))")
        }
        return series[0]
    }

    /// Every file below `folder` that is DICOM by name (.dcm) or by its preamble, sorted.
    public static func dicomFiles(under folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var files: [String] = []
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            if url.pathExtension.lowercased() == "dcm" || DICOMHeader.isDICOM(url) { files.append(url.path) }
        }
        return files.sorted()
    }

    /// Sorts `headers` of one series along their common normal. Slices of another orientation or
    /// size, or two slices at one position, are errors naming the files.
    public init(uid: String, headers: [DICOMHeader]) throws {
        let first = headers[0]
        let orientation = try first.required(.imageOrientationPatient, count: 6, for: "to place the slices of series \(uid)")
        let row = Array(orientation[0..<3]), column = Array(orientation[3..<6])
        let normal = [
            row[1] * column[2] - row[2] * column[1], row[2] * column[0] - row[0] * column[2], row[0] * column[1] - row[1] * column[0],
        ]
        var placed: [(header: DICOMHeader, position: Double)] = []
        for header in headers {
            let other = try header.required(.imageOrientationPatient, count: 6, for: "to place the slices of series \(uid)")
            guard zip(other, orientation).allSatisfy({ abs($0 - $1) < 1e-4 }) else {
                throw DataError(header.path, "\(DICOMTag.imageOrientationPatient.name) \(other) differs from \(first.path)'s \(orientation) in series \(uid)")
            }
            guard header.text(.rows) == first.text(.rows), header.text(.columns) == first.text(.columns) else {
                throw DataError(header.path, "is \(header.text(.rows) ?? "?") x \(header.text(.columns) ?? "?"), \(first.path) is \(first.text(.rows) ?? "?") x \(first.text(.columns) ?? "?") in series \(uid)")
            }
            let position = try header.required(.imagePositionPatient, count: 3, for: "to sort the slices of series \(uid)")
            placed.append((header, zip(position, normal).reduce(0) { $0 + $1.0 * $1.1 }))
        }
        placed.sort { $0.position < $1.position }
        for (a, b) in zip(placed, placed.dropFirst()) where abs(b.position - a.position) < 1e-3 {
            throw DataError(b.header.path, "lies at the same position (\(b.position) mm along the normal) as \(a.header.path) in series \(uid): a duplicate slice")
        }
        self.uid = uid
        self.headers = placed.map(\.header)
        self.positions = placed.map(\.position)
        self.row = row
        self.column = column
        self.normal = normal
    }

    /// The gap between neighbouring slices that most of them share (the median), in mm.
    public var typicalGap: Double? {
        guard positions.count > 1 else { return nil }
        let gaps = zip(positions, positions.dropFirst()).map { $1 - $0 }.sorted()
        return gaps[gaps.count / 2]
    }

    /// The first gap that differs from the typical one by more than 1% (and 0.01 mm):
    /// (index of the slice before it, the gap).
    public var unevenGap: (index: Int, gap: Double)? {
        guard let typical = typicalGap else { return nil }
        let tolerance = max(0.01, 0.01 * typical)
        for index in 0..<(positions.count - 1) {
            let gap = positions[index + 1] - positions[index]
            if abs(gap - typical) > tolerance { return (index, gap) }
        }
        return nil
    }

    /// The volume: slices in HU (or the modality's values) along depth in position order,
    /// rows along height, columns along width, with its RAS affine. Uneven slices are refused
    /// or resampled onto the typical gap.
    public func read(uneven: UnevenSpacing = .refuse) throws -> OrientedVolume {
        if let (index, gap) = unevenGap, uneven == .refuse {
            let typical = typicalGap!
            let missing = Int((gap / typical).rounded()) - 1
            throw DataError(
                headers[index + 1].path,
                String(format: "slices of series %@ are not evenly spaced: %.3f mm after %@, the series' usual gap is %.3f mm", uid, gap, URL(fileURLWithPath: headers[index].path).lastPathComponent, typical)
                    + (missing > 0 ? " (\(missing) missing slice\(missing == 1 ? "" : "s")?)" : "")
                    + "; set uneven_spacing: resample to interpolate onto even slices")
        }
        var values: [Float] = []
        var sliceShape: [Int]?
        for header in headers {
            let image = try DICOMImage(header: header)
            guard image.frameCount == 1, image.pixels.channels == 1 else {
                throw DataError(header.path, "a series slice must be one gray frame; this file has \(image.frameCount) frames of \(image.pixels.channels) samples")
            }
            sliceShape = sliceShape ?? Array(image.pixels.shape[1...2])
            values += image.pixels.values
        }
        let (geometry, depth) = try self.geometry()
        let (rows, columns) = (sliceShape![0], sliceShape![1])
        if unevenGap != nil { values = resampleAlongNormal(values, sliceSize: rows * columns, count: depth) }
        return OrientedVolume(image: ImageArray(shape: [depth, rows, columns, 1], values: values), geometry: geometry)
    }

    /// The RAS affine of the volume `read` returns, and its depth (slices; an uneven series's
    /// after resampling), from the headers alone.
    public func geometry() throws -> (affine: VolumeGeometry, depth: Int) {
        for header in headers where try header.numbers(.pixelSpacing, count: 2) == nil {
            throw DataError(header.path, "no \(DICOMTag.pixelSpacing.name), needed to place the slices of series \(uid)")
        }
        let ps = try headers[0].required(.pixelSpacing, count: 2, for: "to place series \(uid)")  // [row, column] spacing
        let origin = try headers[0].required(.imagePositionPatient, count: 3, for: "to place series \(uid)")
        let gap = try typicalGap ?? headers[0].numbers(.sliceThickness, count: 1)?[0] ?? 1
        var step = normal.map { $0 * gap }
        var depth = headers.count
        if unevenGap != nil {
            depth = Int(((positions.last! - positions[0]) / gap).rounded()) + 1
        } else if headers.count > 1 {
            // The step between the first and last positions, not the normal alone: a tilted
            // gantry shears the stack, and the positions say by how much.
            let last = try headers[headers.count - 1].required(.imagePositionPatient, count: 3, for: "to place series \(uid)")
            step = zip(last, origin).map { ($0 - $1) / Double(headers.count - 1) }
        }
        let i = row.map { $0 * ps[1] }, j = column.map { $0 * ps[0] }
        // LPS to RAS: negate x and y.
        let sign: [Double] = [-1, -1, 1]
        var affine = [Double](repeating: 0, count: 16)
        for r in 0..<3 {
            affine[4 * r + 0] = sign[r] * i[r]
            affine[4 * r + 1] = sign[r] * j[r]
            affine[4 * r + 2] = sign[r] * step[r]
            affine[4 * r + 3] = sign[r] * origin[r]
        }
        affine[15] = 1
        return (VolumeGeometry(affine: affine), depth)
    }

    /// Slices at the typical gap from the first position to the last, each interpolated
    /// linearly between the two read slices around it.
    func resampleAlongNormal(_ values: [Float], sliceSize: Int, count: Int) -> [Float] {
        let gap = typicalGap!
        var out = [Float](repeating: 0, count: count * sliceSize)
        var upper = 1
        for k in 0..<count {
            let position = positions[0] + Double(k) * gap
            while upper < positions.count - 1, positions[upper] < position { upper += 1 }
            let lower = upper - 1
            let t = Float(max(0, min(1, (position - positions[lower]) / (positions[upper] - positions[lower]))))
            for v in 0..<sliceSize {
                out[k * sliceSize + v] = values[lower * sliceSize + v] * (1 - t) + values[upper * sliceSize + v] * t
            }
        }
        return out
    }
}
