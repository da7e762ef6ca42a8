import Foundation
import ZooCore

/// Samples listed in a CSV manifest: one row per sample with an image path and optional
/// label, split, mask path, patient id and sample id. Relative paths are resolved against the
/// manifest's folder.
public struct ManifestDataset: Dataset {
    /// Column names (configurable, so that an existing spreadsheet can be used as it is).
    public struct Columns: Sendable {
        public var path = "path"
        public var label = "label"
        public var split = "split"
        public var mask = "mask"
        public var group = "patient_id"
        public var id = "id"
        public init(path: String = "path", label: String = "label", split: String = "split",
                    mask: String = "mask", group: String = "patient_id", id: String = "id") {
            self.path = path; self.label = label; self.split = split
            self.mask = mask; self.group = group; self.id = id
        }
    }

    /// The manifest file.
    public let manifest: URL
    public let classNames: [String]
    public let channelMode: ChannelMode
    /// The bit depth every PNG and JPEG image must have (nil: any; masks are not checked).
    public let bitDepth: Int?
    let entries: [(info: SampleInfo, mask: String?, line: Int)]
    /// The manifest's other columns (clinical variables), and each row's text in them.
    public let extraColumns: [String]
    let extraFields: [[String: String]]

    /// Reads the manifest. Every listed file must exist and every label must be one of
    /// `classNames` (when given; otherwise the classes are the sorted distinct labels), else
    /// the error names the manifest and the line. `split` keeps only rows whose split column
    /// equals it.
    public init(
        manifest: URL, columns: Columns = Columns(), classNames: [String]? = nil, split: String? = nil,
        channels: ChannelMode = .keep, bitDepth: Int? = 8
    ) throws {
        self.manifest = manifest
        self.channelMode = channels
        self.bitDepth = bitDepth
        let data = try FileAccess.read(manifest)
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError(manifest.path, "manifest is not UTF-8 text")
        }
        var rows = CSV.parse(text)
        guard !rows.isEmpty else { throw DataError(manifest.path, "manifest is empty") }
        let header = rows.removeFirst().fields.map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        guard let pathColumn = column(columns.path) else {
            throw DataError(manifest.path, line: 1, "no '\(columns.path)' column in header \(header)")
        }
        let labelColumn = column(columns.label), splitColumn = column(columns.split)
        let maskColumn = column(columns.mask), groupColumn = column(columns.group), idColumn = column(columns.id)
        if split != nil && splitColumn == nil {
            throw DataError(manifest.path, line: 1, "a split was requested but there is no '\(columns.split)' column")
        }
        func field(_ row: [String], _ index: Int?) -> String? {
            guard let index, index < row.count else { return nil }
            let value = row[index].trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        let folder = manifest.deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path
        }
        let kept = rows.filter { split == nil || field($0.fields, splitColumn) == split }
        let names = classNames ?? Array(Set(kept.compactMap { field($0.fields, labelColumn) })).sorted()
        let labelIndex = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var entries: [(SampleInfo, String?, Int)] = []
        var extraFields: [[String: String]] = []
        let standard = Set([columns.path, columns.label, columns.split, columns.mask, columns.group, columns.id])
        let extra = header.enumerated().filter { !standard.contains($0.element) && !$0.element.isEmpty }
        var seen = Set<String>()
        for (line, row) in kept {
            guard let path = field(row, pathColumn) else {
                throw DataError(manifest.path, line: line, "empty '\(columns.path)'")
            }
            let imagePath = resolve(path)
            guard FileManager.default.fileExists(atPath: imagePath) else {
                throw DataError(manifest.path, line: line, "image file not found: \(imagePath)")
            }
            var label: Int?
            if let text = field(row, labelColumn) {
                guard let index = labelIndex[text] else {
                    throw DataError(manifest.path, line: line, "label '\(text)' is not one of the classes \(names)")
                }
                label = index
            }
            var maskPath: String?
            if let mask = field(row, maskColumn) {
                maskPath = resolve(mask)
                guard FileManager.default.fileExists(atPath: maskPath!) else {
                    throw DataError(manifest.path, line: line, "mask file not found: \(maskPath!)")
                }
            }
            let id = field(row, idColumn) ?? path
            guard seen.insert(id).inserted else {
                throw DataError(manifest.path, line: line, "duplicate sample id '\(id)'")
            }
            let info = SampleInfo(id: id, label: label, group: field(row, groupColumn), path: imagePath, split: field(row, splitColumn))
            entries.append((info, maskPath, line))
            extraFields.append(Dictionary(uniqueKeysWithValues: extra.map { ($0.element, $0.offset < row.count ? row[$0.offset] : "") }))
        }
        self.classNames = names
        self.entries = entries
        self.extraColumns = extra.map(\.element)
        self.extraFields = extraFields
    }

    public var count: Int { entries.count }
    public func info(at index: Int) -> SampleInfo { entries[index].info }

    /// Decodes the image and its mask; a mask whose spatial shape differs from the image's is
    /// an error naming the mask file and the manifest line.
    public func sample(at index: Int) throws -> Sample {
        let entry = entries[index]
        let loaded = try ImageFile.load(URL(fileURLWithPath: entry.info.path!), channels: channelMode, bitDepth: bitDepth)
        var sample = loaded.sample(entry.info, label: entry.info.label)
        if let maskPath = entry.mask {
            sample.mask = try ImageFile.loadMask(URL(fileURLWithPath: maskPath), for: loaded, imagePath: entry.info.path!)
            do {
                try sample.validateMask(source: maskPath)
            } catch let error as DataError {
                throw DataError(manifest.path, line: entry.line, "\(maskPath): \(error.message)")
            }
        }
        return sample
    }
}

/// Reads segmentation masks.
public enum MaskFile {
    /// Reads a mask image or volume as one channel of class indices. An 8-bit image holding
    /// only 0 and 255 (the usual export of a binary mask) becomes 0 and 1; colour masks take
    /// their first channel.
    public static func read(_ url: URL) throws -> ImageArray { try load(url).image }

    /// The mask with its grid (volumes: reoriented to RAS like their images).
    public static func load(_ url: URL) throws -> LoadedImage {
        var loaded = try ImageFile.load(url, channels: .keep)
        var mask = loaded.image
        if mask.channels > 1 {
            let channels = mask.channels
            var shape = mask.shape
            shape[shape.count - 1] = 1
            var first = [Float](repeating: 0, count: mask.voxelCount)
            mask.values.withUnsafeBufferPointer { source in
                for i in 0..<first.count { first[i] = source[i * channels] }
            }
            mask = ImageArray(shape: shape, values: first)
        }
        if mask.values.allSatisfy({ $0 == 0 || $0 == 255 }) {
            mask.values = mask.values.map { $0 > 0 ? 1 : 0 }
        }
        loaded.image = mask
        return loaded
    }
}

extension ManifestDataset: ClinicalVariables {
    public var clinicalColumns: [String] { extraColumns }

    public func clinicalValue(_ column: String, at index: Int) -> Double? {
        extraFields[index][column].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }
}
