import Foundation
import ZooCore

/// NIfTI volumes with optional mask volumes of the same name in a second folder (the Medical
/// Segmentation Decathlon's `imagesTr` / `labelsTr` layout).
public struct VolumeFolderDataset: Dataset {
    public let classNames: [String]
    let entries: [(info: SampleInfo, mask: String?)]

    /// Pairs every `.nii` / `.nii.gz` in `images` with the file of the same name in `masks`
    /// (required for each volume when `masks` is given). The group is the file name, so
    /// that splits of patches keep each scan on one side.
    public init(images: URL, masks: URL? = nil) throws {
        let files = FolderDataset.imageFiles(under: images).filter { ImageFile.isVolume($0) }
        guard !files.isEmpty else { throw DataError(images.path, "no NIfTI volumes (.nii, .nii.gz) found") }
        var entries: [(SampleInfo, String?)] = []
        for file in files {
            var maskPath: String?
            if let masks {
                let path = masks.appendingPathComponent(file).path
                guard FileManager.default.fileExists(atPath: path) else {
                    throw DataError(images.appendingPathComponent(file).path, "no mask volume \(path)")
                }
                maskPath = path
            }
            let id = VolumeFolderDataset.stem(file)
            entries.append((SampleInfo(id: id, label: nil, group: id, path: images.appendingPathComponent(file).path), maskPath))
        }
        self.entries = entries
        self.classNames = []
    }

    static func stem(_ file: String) -> String {
        for suffix in [".nii.gz", ".nii"] where file.lowercased().hasSuffix(suffix) {
            return String(file.dropLast(suffix.count))
        }
        return file
    }

    public var count: Int { entries.count }
    public func info(at index: Int) -> SampleInfo { entries[index].info }

    public func sample(at index: Int) throws -> Sample {
        let entry = entries[index]
        let volume = try ImageFile.load(URL(fileURLWithPath: entry.info.path!))
        var sample = volume.sample(entry.info)
        if let maskPath = entry.mask {
            sample.mask = try ImageFile.loadMask(URL(fileURLWithPath: maskPath), for: volume, imagePath: entry.info.path!)
            try sample.validateMask(source: maskPath)
        }
        return sample
    }
}
