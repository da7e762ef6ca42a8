import Foundation
import ZooCore

/// A data source as a config describes it: `data.source` and the source's own map
/// (`data.phantom`, `data.folder`, ...), read and checked once, when the config is read. Errors
/// name the config file, the key path and, for a typo, the nearest valid name; docs/DATA.md
/// lists every key. `make` builds the dataset (paths resolved against the config's folder).
public enum DataSourceSpec: Sendable {
    case phantom(kind: PhantomKind, count: Int, sizes: [Int]?, seed: UInt64?)
    case folder(path: String, channels: ChannelMode)
    case csv(path: String, columns: ManifestDataset.Columns, split: String?, channels: ChannelMode)
    case hdf5(path: String, names: HDF5ArrayDataset.Names)
    case nifti(path: String, masks: String?)
    case dicom(path: String, kind: DICOMDataset.Kind, labels: DICOMDataset.Labels, masks: String?, channels: ChannelMode, unevenSpacing: UnevenSpacing)
    case lidc(path: String, size: Int, rule: LIDCDataset.LabelRule, minimumReaders: Int)

    /// The phantoms, by the experiment they stand in for.
    public enum PhantomKind: String, Sendable, CaseIterable {
        case chestCT = "chest_ct", lungUltrasound = "lung_ultrasound", parotidUltrasound = "parotid_ultrasound"
        case ctVolume = "ct_volume", lidcNodules = "lidc_nodules"
    }

    /// The sources in the order the docs list them, each with the keys it reads: an unknown
    /// key is reported first, with the nearest, before a required key that a typo left missing.
    public static let keys: KeyValuePairs<String, [String]> = [
        "phantom": ["kind", "count", "size", "seed"],
        "folder": ["path", "channels"],
        "csv": ["path", "split", "channels", "path_column", "label_column", "split_column", "mask_column", "group_column", "id_column"],
        "hdf5": ["path", "images", "labels", "masks", "groups", "class_names_attribute"],
        "nifti": ["path", "masks"],
        "dicom": ["path", "kind", "labels", "masks", "channels", "uneven_spacing"],
        "lidc": ["path", "size", "label_rule", "threshold", "min_readers"],
    ]

    /// The source names.
    public static var names: [String] { keys.map(\.key) }

    /// The source's name (`data.source`).
    public var name: String {
        switch self {
        case .phantom: return "phantom"
        case .folder: return "folder"
        case .csv: return "csv"
        case .hdf5: return "hdf5"
        case .nifti: return "nifti"
        case .dicom: return "dicom"
        case .lidc: return "lidc"
        }
    }

    /// The source `name` with its map `options`, read from the config `file` at `path`
    /// (`data`, or `data.test_sets.<name>`).
    public init(source name: String, options: ConfigValue, file: String = "config", path: String = "data") throws {
        guard let known = DataSourceSpec.keys.first(where: { $0.key == name })?.value else {
            throw ConfigError(
                source: file, path: "\(path).source",
                "unknown source '\(name)'\(NameSuggestions.didYouMean(name, in: DataSourceSpec.names)); sources: \(DataSourceSpec.names.joined(separator: ", "))")
        }
        let reader = try ConfigReader(options, source: file, path: "\(path).\(name)")
        try reader.rejectKeys(notIn: known)
        switch name {
        case "phantom":
            guard let kind = try reader.choice("kind", PhantomKind.self) else {
                throw reader.error("kind", "is required (one of \(PhantomKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let volume = kind == .ctVolume
            let sizes = try reader.oneOrMoreInts("size", minimum: 8)
            guard sizes == nil || sizes!.count == 1 || (volume && sizes!.count == 3) else {
                throw reader.error("size", volume ? "takes one number (a cube) or three (depth, height, width)" : "takes one number (square images)")
            }
            let seed = try reader.string("seed").map { text -> UInt64 in
                guard let value = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                    throw reader.error("seed", "must be a non-negative integer, got '\(text)'")
                }
                return value
            }
            self = .phantom(kind: kind, count: try reader.int("count", default: volume ? 24 : 200, minimum: 1), sizes: sizes, seed: seed)
        case "folder":
            self = .folder(path: try reader.requiredString("path"), channels: try reader.choice("channels", default: ChannelMode.keep))
        case "csv":
            let defaults = ManifestDataset.Columns()
            let columns = ManifestDataset.Columns(
                path: try reader.string("path_column", default: defaults.path), label: try reader.string("label_column", default: defaults.label),
                split: try reader.string("split_column", default: defaults.split), mask: try reader.string("mask_column", default: defaults.mask),
                group: try reader.string("group_column", default: defaults.group), id: try reader.string("id_column", default: defaults.id))
            self = .csv(
                path: try reader.requiredString("path"), columns: columns, split: try reader.optionalString("split"),
                channels: try reader.choice("channels", default: ChannelMode.keep))
        case "hdf5":
            let names = HDF5ArrayDataset.Names(
                images: try reader.string("images", default: "images"), labels: try reader.optionalString("labels", default: "labels"),
                masks: try reader.optionalString("masks"), groups: try reader.optionalString("groups"),
                classNamesAttribute: try reader.string("class_names_attribute", default: "class_names"))
            self = .hdf5(path: try reader.requiredString("path"), names: names)
        case "nifti":
            self = .nifti(path: try reader.requiredString("path"), masks: try reader.optionalString("masks"))
        case "dicom":
            self = .dicom(
                path: try reader.requiredString("path"), kind: try reader.choice("kind", default: DICOMDataset.Kind.series),
                labels: try reader.choice("labels", default: DICOMDataset.Labels.none), masks: try reader.optionalString("masks"),
                channels: try reader.choice("channels", default: ChannelMode.keep),
                unevenSpacing: try reader.choice("uneven_spacing", default: UnevenSpacing.refuse))
        default:  // lidc
            let rule: LIDCDataset.LabelRule
            switch try reader.choice("label_rule", ["lidc", "threshold"], default: "lidc") {
            case "threshold": rule = .threshold(try reader.double("threshold", default: 3))
            default:
                guard !reader.has("threshold") else { throw reader.error("threshold", "is read with label_rule: threshold only") }
                _ = reader.value("threshold")
                rule = .lidc
            }
            self = .lidc(
                path: try reader.requiredString("path"), size: try reader.int("size", default: 64, minimum: 8), rule: rule,
                minimumReaders: try reader.int("min_readers", default: 1, minimum: 1))
        }
        try reader.finish()
    }

    /// The phantom's own seed, when its options give one.
    public var phantomSeed: UInt64? {
        if case .phantom(_, _, _, let seed) = self { return seed }
        return nil
    }

    /// The dataset. `classNames` (a config's `data.classes`) fixes the classes and their order
    /// where the source allows it; `seed` is the phantom's seed when its options give none;
    /// `base` is the folder relative paths start from (the config's folder; the working
    /// directory when nil); every PNG and JPEG file must have `bitDepth` bits.
    public func make(classNames: [String]? = nil, seed: UInt64 = 0, base: URL? = nil, bitDepth: Int = 8) throws -> Dataset {
        func url(_ path: String) -> URL {
            let expanded = (path as NSString).expandingTildeInPath
            if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded) }
            return (base ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).appendingPathComponent(expanded)
        }
        switch self {
        case .phantom(let kind, let count, let sizes, let ownSeed):
            return try DatasetFactory.phantom(kind, count: count, sizes: sizes, seed: ownSeed ?? seed, classNames: classNames)
        case .folder(let path, let channels):
            return try FolderDataset(root: url(path), classNames: classNames, channels: channels, bitDepth: bitDepth)
        case .csv(let path, let columns, let split, let channels):
            return try ManifestDataset(manifest: url(path), columns: columns, classNames: classNames, split: split, channels: channels, bitDepth: bitDepth)
        case .hdf5(let path, let names):
            return try HDF5ArrayDataset(file: url(path), names: names, classNames: classNames)
        case .nifti(let path, let masks):
            if let classNames {
                throw DataError("data.nifti", "NIfTI volumes with masks have no classes; remove data.classes (\(classNames))")
            }
            return try VolumeFolderDataset(images: url(path), masks: masks.map(url))
        case .dicom(let path, let kind, let labels, let masks, let channels, let unevenSpacing):
            return try DICOMDataset(
                root: url(path), kind: kind, labels: labels, classNames: classNames, masks: masks.map(url), channels: channels,
                unevenSpacing: unevenSpacing)
        case .lidc(let path, let size, let rule, let minimumReaders):
            if let classNames, classNames != LIDCDataset.classes {
                throw DataError("data.classes", "the lidc source's classes are \(LIDCDataset.classes), not \(classNames)")
            }
            return try LIDCDataset(root: url(path), patchSize: size, rule: rule, minimumReaders: minimumReaders)
        }
    }
}
