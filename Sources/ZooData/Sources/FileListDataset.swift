import Foundation
import ZooCore

/// Images to predict on: files (PNG, JPEG, DICOM, NIfTI), folders (every such file below
/// them; a folder holding the slices of one DICOM series is one volume) and CSV manifests (a
/// `path` column, relative to the CSV's folder, and optionally a `label` column), in the order
/// given.
public struct FileListDataset: Dataset {
    public let files: [URL]
    /// Each file's label as its CSV wrote it (nil for files without one).
    public let labelTexts: [String?]
    public let channelMode: ChannelMode
    /// The bit depth every PNG and JPEG must have (nil: any).
    public let bitDepth: Int?
    public var classNames: [String] { [] }

    public init(files: [URL], labels: [String?]? = nil, channels: ChannelMode = .keep, bitDepth: Int? = 8) {
        self.files = files
        labelTexts = labels ?? files.map { _ in nil }
        self.channelMode = channels
        self.bitDepth = bitDepth
    }

    /// The images named by `inputs`; a missing input or a CSV without a `path` column is an
    /// error naming it.
    public init(inputs: [URL], channels: ChannelMode = .keep, bitDepth: Int? = 8) throws {
        var files = [URL]()
        var labels = [String?]()
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) else {
                throw DataError(input.path, "not found")
            }
            if isDirectory.boolValue, FileListDataset.isSeriesFolder(input) {
                files.append(input)
                labels.append(nil)
            } else if isDirectory.boolValue {
                let found = FolderDataset.imageFiles(under: input)
                guard !found.isEmpty else { throw DataError(input.path, "holds no PNG, JPEG or NIfTI files") }
                files += found.map { input.appendingPathComponent($0) }
                labels += found.map { _ in nil }
            } else if input.pathExtension.lowercased() == "csv" {
                let rows = CSV.parse(try String(contentsOf: input, encoding: .utf8))
                guard let header = rows.first?.fields, let column = header.firstIndex(of: "path") else {
                    throw DataError(input.path, "a CSV of images needs a 'path' column")
                }
                let labelColumn = header.firstIndex(of: "label")
                for row in rows.dropFirst() {
                    guard row.fields.count > column, !row.fields[column].isEmpty else {
                        throw DataError(input.path, line: row.line, "no path")
                    }
                    files.append(URL(fileURLWithPath: row.fields[column], relativeTo: input.deletingLastPathComponent()).standardizedFileURL)
                    let label = labelColumn.flatMap { $0 < row.fields.count ? row.fields[$0] : nil }
                    labels.append(label?.isEmpty == false ? label : nil)
                }
            } else {
                files.append(input)
                labels.append(nil)
            }
        }
        self.init(files: files, labels: labels, channels: channels, bitDepth: bitDepth)
    }

    /// Whether `folder` holds the slices of one DICOM series (two or more files, each placed by
    /// ImagePositionPatient) and no other images: it is then one volume.
    public static func isSeriesFolder(_ folder: URL) -> Bool {
        let dicom = DICOMSeries.dicomFiles(under: folder)
        guard dicom.count > 1, FolderDataset.imageFiles(under: folder).allSatisfy({ $0.lowercased().hasSuffix(".dcm") }),
            let series = try? DICOMSeries.scan(folder), series.count == 1
        else { return false }
        return series[0].headers.allSatisfy { $0.text(.imagePositionPatient) != nil }
    }

    public var count: Int { files.count }

    public func info(at index: Int) -> SampleInfo { SampleInfo(id: files[index].path, path: files[index].path) }

    public func sample(at index: Int) throws -> Sample {
        try ImageFile.load(files[index], channels: channelMode, bitDepth: bitDepth).sample(info(at: index))
    }
}
