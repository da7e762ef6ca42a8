import Foundation
import ZooCore

/// Unlabelled images to predict on: files, folders (every PNG, JPEG and NIfTI file below
/// them) and CSV manifests (a `path` column, relative to the CSV's folder), in the order given.
public struct FileListDataset: Dataset {
    public let files: [URL]
    public let channelMode: ChannelMode
    /// The bit depth every PNG and JPEG must have (nil: any).
    public let bitDepth: Int?
    public var classNames: [String] { [] }

    public init(files: [URL], channels: ChannelMode = .keep, bitDepth: Int? = 8) {
        self.files = files
        self.channelMode = channels
        self.bitDepth = bitDepth
    }

    /// The images named by `inputs`; a missing input or a CSV without a `path` column is an
    /// error naming it.
    public init(inputs: [URL], channels: ChannelMode = .keep, bitDepth: Int? = 8) throws {
        var files = [URL]()
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) else {
                throw DataError(input.path, "not found")
            }
            if isDirectory.boolValue {
                let found = FolderDataset.imageFiles(under: input)
                guard !found.isEmpty else { throw DataError(input.path, "holds no PNG, JPEG or NIfTI files") }
                files += found.map { input.appendingPathComponent($0) }
            } else if input.pathExtension.lowercased() == "csv" {
                let rows = CSV.parse(try String(contentsOf: input, encoding: .utf8))
                guard let header = rows.first?.fields, let column = header.firstIndex(of: "path") else {
                    throw DataError(input.path, "a CSV of images needs a 'path' column")
                }
                for row in rows.dropFirst() {
                    guard row.fields.count > column, !row.fields[column].isEmpty else {
                        throw DataError(input.path, line: row.line, "no path")
                    }
                    files.append(URL(fileURLWithPath: row.fields[column], relativeTo: input.deletingLastPathComponent()).standardizedFileURL)
                }
            } else {
                files.append(input)
            }
        }
        self.init(files: files, channels: channels, bitDepth: bitDepth)
    }

    public var count: Int { files.count }

    public func info(at index: Int) -> SampleInfo { SampleInfo(id: files[index].path, path: files[index].path) }

    public func sample(at index: Int) throws -> Sample {
        let (image, spacing) = try ImageFile.read(files[index], channels: channelMode, bitDepth: bitDepth)
        return Sample(image: image, info: info(at: index), spacing: spacing)
    }
}
