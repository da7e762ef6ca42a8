import Foundation
import ZooCore

/// Images in one folder per class, as Keras's `image_dataset_from_directory` and
/// torchvision's `ImageFolder` read them: class names are the sorted sub-folder names, and
/// every PNG, JPEG or NIfTI file below a class folder (recursively, sorted) is a sample.
public struct FolderDataset: Dataset {
    /// The root folder.
    public let root: URL
    public let classNames: [String]
    /// How decoded images become channels.
    public let channelMode: ChannelMode
    /// The bit depth every PNG and JPEG must have (nil: any).
    public let bitDepth: Int?
    let entries: [SampleInfo]

    /// Scans `root`. An empty class folder, or a root without class folders, is an error
    /// naming the folder. `classNames`, when given, fixes the classes and their order (each
    /// must have a folder); otherwise every sub-folder is a class.
    public init(root: URL, classNames: [String]? = nil, channels: ChannelMode = .keep, bitDepth: Int? = 8) throws {
        self.root = root
        self.channelMode = channels
        self.bitDepth = bitDepth
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError(root.path, "dataset folder not found")
        }
        let folders = try manager.contentsOfDirectory(atPath: root.path)
            .filter { name in
                var folder: ObjCBool = false
                return !name.hasPrefix(".")
                    && manager.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &folder)
                    && folder.boolValue
            }
            .sorted()
        let names = classNames ?? folders
        guard !names.isEmpty else { throw DataError(root.path, "no class folders") }
        var entries: [SampleInfo] = []
        for (label, name) in names.enumerated() {
            let folder = root.appendingPathComponent(name)
            guard folders.contains(name) else { throw DataError(folder.path, "class folder not found") }
            let files = FolderDataset.imageFiles(under: folder)
            guard !files.isEmpty else {
                throw DataError(folder.path, "class folder '\(name)' holds no PNG, JPEG or NIfTI files")
            }
            for relative in files {
                entries.append(SampleInfo(
                    id: "\(name)/\(relative)", label: label, group: nil,
                    path: folder.appendingPathComponent(relative).path))
            }
        }
        self.classNames = names
        self.entries = entries
    }

    /// Image files below `folder`, as sorted relative paths; hidden files are skipped.
    static func imageFiles(under folder: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") { continue }
            let ext = (name as NSString).pathExtension.lowercased()
            if ImageFile.imageExtensions.contains(ext) || ImageFile.isVolume(name) { files.append(relative) }
        }
        return files.sorted()
    }

    public var count: Int { entries.count }
    public func info(at index: Int) -> SampleInfo { entries[index] }

    public func sample(at index: Int) throws -> Sample {
        let info = entries[index]
        return try ImageFile.load(URL(fileURLWithPath: info.path!), channels: channelMode, bitDepth: bitDepth).sample(info, label: info.label)
    }
}
