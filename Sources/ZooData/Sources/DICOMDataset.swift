import Foundation
import ZooCore

/// DICOM as clinical archives deliver it (the `dicom` source), in one of two kinds:
/// - `series`: every SeriesInstanceUID below the root is one volume (`DICOMSeries`: slices
///   sorted along the normal, HU, RAS geometry), with an optional NIfTI mask named after the
///   series' folder or its UID;
/// - `images`: every DICOM file below the root is a 2D sample, each frame of a multi-frame file
///   its own (ultrasound cine loops, X-ray).
/// Labels come from the first folder below the root (`labels: folders`, one folder per class,
/// as the folder source) or nowhere (`labels: none`); the patient (PatientID, else that folder)
/// is the split group.
public struct DICOMDataset: Dataset {
    public enum Kind: String, Sendable, CaseIterable { case series, images }
    public enum Labels: String, Sendable, CaseIterable { case folders, none }

    struct Entry {
        var info: SampleInfo
        /// The series' files (series) or the file and frame (images).
        var series: DICOMSeries?
        var frame: Int
        var mask: String?
    }

    public let classNames: [String]
    public let kind: Kind
    public let channelMode: ChannelMode
    public let unevenSpacing: UnevenSpacing
    let entries: [Entry]

    public init(
        root: URL, kind: Kind = .series, labels: Labels = .none, classNames: [String]? = nil, masks: URL? = nil,
        channels: ChannelMode = .keep, unevenSpacing: UnevenSpacing = .refuse
    ) throws {
        self.kind = kind
        self.channelMode = channels
        self.unevenSpacing = unevenSpacing
        let series = try DICOMSeries.scan(root)
        let rootPath = root.standardizedFileURL.path
        func relative(_ path: String) -> String {
            let full = URL(fileURLWithPath: path).standardizedFileURL.path
            return full.hasPrefix(rootPath + "/") ? String(full.dropFirst(rootPath.count + 1)) : full
        }
        func firstFolder(_ path: String) -> String? {
            let parts = relative(path).split(separator: "/")
            return parts.count > 1 ? String(parts[0]) : nil
        }
        var names: [String] = []
        if labels == .folders {
            let found = Set(series.flatMap { $0.files.compactMap(firstFolder) }).sorted()
            names = classNames ?? found
            for name in found where !names.contains(name) {
                throw DataError(root.appendingPathComponent(name).path, "folder '\(name)' is not one of data.classes \(names)")
            }
        } else if let classNames {
            throw DataError("data.dicom", "labels: none gives no classes; remove data.classes (\(classNames)) or set labels: folders")
        }
        var entries: [Entry] = []
        for item in series {
            let file = item.files[0]
            let label = labels == .folders ? firstFolder(file).flatMap { names.firstIndex(of: $0) } : nil
            if labels == .folders, label == nil {
                throw DataError(file, "lies directly in \(root.path); with labels: folders each file belongs in a class folder")
            }
            let group = item.patientID ?? firstFolder(file)
            switch kind {
            case .series:
                let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
                var id = relative(folder.path)
                if series.filter({ URL(fileURLWithPath: $0.files[0]).deletingLastPathComponent() == folder }).count > 1 { id += "#\(item.uid)" }
                var maskPath: String?
                if let masks {
                    let candidates = [folder.lastPathComponent, item.uid].flatMap { ["\($0).nii.gz", "\($0).nii"] }
                    maskPath = candidates.map { masks.appendingPathComponent($0).path }.first { FileManager.default.fileExists(atPath: $0) }
                    guard maskPath != nil else {
                        throw DataError(folder.path, "no mask volume in \(masks.path) (looked for \(candidates.joined(separator: ", ")))")
                    }
                }
                entries.append(Entry(info: SampleInfo(id: id, label: label, group: group, path: folder.path), series: item, frame: 0, mask: maskPath))
            case .images:
                for header in item.headers {
                    let frames = Int(header.text(.numberOfFrames) ?? "1") ?? 1
                    for frame in 0..<max(1, frames) {
                        let id = relative(header.path) + (frames > 1 ? "#\(frame)" : "")
                        entries.append(Entry(info: SampleInfo(id: id, label: label, group: group, path: header.path), series: nil, frame: frame, mask: nil))
                    }
                }
            }
        }
        guard !entries.isEmpty else { throw DataError(root.path, "no DICOM images found") }
        self.entries = entries.sorted { $0.info.id < $1.info.id }
        self.classNames = names
    }

    public var count: Int { entries.count }
    public func info(at index: Int) -> SampleInfo { entries[index].info }

    public func sample(at index: Int) throws -> Sample {
        let entry = entries[index]
        if let series = entry.series {
            let loaded = try ImageFile.oriented(try series.read(uneven: unevenSpacing), file: entry.info.path!, channels: channelMode)
            var sample = loaded.sample(entry.info, label: entry.info.label)
            if let mask = entry.mask {
                sample.mask = try ImageFile.loadMask(URL(fileURLWithPath: mask), for: loaded, imagePath: entry.info.path!)
                try sample.validateMask(source: mask)
            }
            return sample
        }
        let image = try DICOMImage(URL(fileURLWithPath: entry.info.path!))
        guard entry.frame < image.frameCount else {
            throw DataError(entry.info.path!, "has \(image.frameCount) frames; its header said more (frame \(entry.frame))")
        }
        return Sample(image: channelMode.apply(image.frame(entry.frame)), label: entry.info.label, info: entry.info, spacing: image.pixelSpacing)
    }
}
