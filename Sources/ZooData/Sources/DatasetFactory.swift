import Foundation
import ZooCore

/// One value of a source's configuration, as a config file holds it: a scalar (kept as
/// text, parsed by the option that reads it) or a list of scalars.
public enum DataOption: Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral
{
    case value(String)
    case list([String])

    public init(stringLiteral value: String) { self = .value(value) }
    public init(integerLiteral value: Int) { self = .value(String(value)) }
    public init(arrayLiteral elements: String...) { self = .list(elements) }
}

/// Builds a dataset from a source name and its options: what an experiment config's
/// `data.source` and `data.<source>` map say. docs/DATA.md lists every key.
///
/// Unknown sources and option names are errors naming the nearest valid ones (a typo must
/// not silently fall back to a default); relative paths are resolved against `base`.
public enum DatasetFactory {
    /// The sources, in the order the docs list them.
    public static let sources = ["phantom", "folder", "csv", "hdf5", "nifti", "dicom", "lidc"]
    /// The phantom kinds, by the experiment they stand in for.
    public static let phantomKinds = ["chest_ct", "lung_ultrasound", "parotid_ultrasound", "ct_volume", "lidc_nodules"]

    /// The option names each source accepts.
    public static let keys: [String: [String]] = [
        "phantom": ["kind", "count", "size", "seed"],
        "folder": ["path", "channels"],
        "csv": ["path", "split", "channels", "path_column", "label_column", "split_column", "mask_column", "group_column", "id_column"],
        "hdf5": ["path", "images", "labels", "masks", "groups", "class_names_attribute"],
        "nifti": ["path", "masks"],
        "dicom": ["path", "kind", "labels", "masks", "channels", "uneven_spacing"],
        "lidc": ["path", "size", "label_rule", "threshold", "min_readers"],
    ]

    /// The dataset `source` describes. `classNames` (a config's `data.classes`) fixes the
    /// classes and their order where the source allows it; `seed` is the phantom's seed
    /// when its options do not give one; `base` is the folder relative paths start from
    /// (the config's folder; the working directory when nil); `bitDepth` is the bit depth
    /// every PNG and JPEG file must have (a config's `data.bit_depth`).
    public static func make(source: String, options: [String: DataOption], classNames: [String]? = nil, seed: UInt64 = 0,
                            base: URL? = nil, bitDepth: Int = 8) throws -> Dataset {
        guard let known = keys[source] else {
            throw DataError("data.source", "unknown source '\(source)'\(suggestion(source, sources)); sources: \(sources.joined(separator: ", "))")
        }
        for key in options.keys.sorted() where !known.contains(key) {
            throw DataError("data.\(source)", "unknown option '\(key)'\(suggestion(key, known)); options: \(known.joined(separator: ", "))")
        }
        let reader = OptionReader(source: source, options: options, base: base)
        switch source {
        case "phantom":
            return try phantom(reader, classNames: classNames, seed: seed)
        case "folder":
            return try FolderDataset(root: reader.url("path"), classNames: classNames, channels: reader.channels(), bitDepth: bitDepth)
        case "csv":
            let defaults = ManifestDataset.Columns()
            let columns = ManifestDataset.Columns(
                path: try reader.string("path_column", defaults.path), label: try reader.string("label_column", defaults.label),
                split: try reader.string("split_column", defaults.split), mask: try reader.string("mask_column", defaults.mask),
                group: try reader.string("group_column", defaults.group), id: try reader.string("id_column", defaults.id))
            return try ManifestDataset(manifest: reader.url("path"), columns: columns, classNames: classNames,
                                       split: try reader.optionalString("split"), channels: reader.channels(), bitDepth: bitDepth)
        case "hdf5":
            let names = HDF5ArrayDataset.Names(
                images: try reader.string("images", "images"), labels: try reader.optionalString("labels", default: "labels"),
                masks: try reader.optionalString("masks"), groups: try reader.optionalString("groups"),
                classNamesAttribute: try reader.string("class_names_attribute", "class_names"))
            return try HDF5ArrayDataset(file: reader.url("path"), names: names, classNames: classNames)
        case "dicom":
            return try DICOMDataset(
                root: reader.url("path"), kind: try reader.choice("kind", DICOMDataset.Kind.series),
                labels: try reader.choice("labels", DICOMDataset.Labels.none), classNames: classNames,
                masks: try reader.optionalString("masks").map(reader.resolve), channels: reader.channels(),
                unevenSpacing: try reader.choice("uneven_spacing", UnevenSpacing.refuse))
        case "lidc":
            if let classNames, classNames != LIDCDataset.classes {
                throw DataError("data.classes", "the lidc source's classes are \(LIDCDataset.classes), not \(classNames)")
            }
            let rule = try reader.string("label_rule", "lidc")
            let label: LIDCDataset.LabelRule
            switch rule {
            case "lidc":
                guard reader.options["threshold"] == nil else { throw reader.error("threshold", "is read with label_rule: threshold only") }
                label = .lidc
            case "threshold": label = .threshold(try reader.number("threshold", 3))
            default: throw reader.error("label_rule", "'\(rule)' is not lidc or threshold")
            }
            return try LIDCDataset(
                root: reader.url("path"), patchSize: try reader.integer("size", 64, minimum: 8), rule: label,
                minimumReaders: try reader.integer("min_readers", 1, minimum: 1))
        default:  // nifti
            if let classNames {
                throw DataError("data.nifti", "NIfTI volumes with masks have no classes; remove data.classes (\(classNames))")
            }
            return try VolumeFolderDataset(images: reader.url("path"), masks: try reader.optionalString("masks").map(reader.resolve))
        }
    }

    static func phantom(_ reader: OptionReader, classNames: [String]?, seed defaultSeed: UInt64) throws -> Dataset {
        let kind = try reader.string("kind")
        guard phantomKinds.contains(kind) else {
            throw reader.error("kind", "unknown phantom '\(kind)'\(suggestion(kind, phantomKinds)); kinds: \(phantomKinds.joined(separator: ", "))")
        }
        let volume = kind == "ct_volume"
        let count = try reader.integer("count", volume ? 24 : 200, minimum: 1)
        let seed = try reader.optionalString("seed").map { text -> UInt64 in
            guard let value = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw reader.error("seed", "must be a non-negative integer, got '\(text)'")
            }
            return value
        } ?? defaultSeed
        let sizes = try reader.integers("size", minimum: 8)
        guard sizes == nil || sizes!.count == 1 || (volume && sizes!.count == 3) else {
            throw reader.error("size", volume ? "takes one number (a cube) or three (depth, height, width)" : "takes one number (square images)")
        }
        let size = sizes?.first
        let dataset: Dataset
        switch kind {
        case "chest_ct": dataset = ChestCTPhantom(count: count, seed: seed, size: size ?? 224)
        case "lung_ultrasound": dataset = LungUltrasoundPhantom(count: count, seed: seed, size: size ?? 224)
        case "parotid_ultrasound": dataset = ParotidUltrasoundPhantom(count: count, seed: seed, size: size ?? 224)
        case "lidc_nodules": dataset = NodulePatchPhantom(count: count, seed: seed, size: size ?? 124)
        default:
            let shape = sizes.map { $0.count == 3 ? $0 : [$0[0], $0[0], $0[0]] } ?? [64, 64, 64]
            dataset = CTVolumePhantom(count: count, seed: seed, shape: shape)
        }
        if let classNames, classNames != dataset.classNames {
            throw DataError("data.classes", "the \(kind) phantom's classes are \(dataset.classNames), not \(classNames)")
        }
        return dataset
    }

    static func suggestion(_ name: String, _ candidates: [String]) -> String {
        NameSuggestions.didYouMean(name, in: candidates)
    }
}

/// Typed reads of a source's options, with errors naming `data.<source>.<key>`.
struct OptionReader {
    let source: String
    let options: [String: DataOption]
    let base: URL?

    func error(_ key: String, _ message: String) -> DataError { DataError("data.\(source).\(key)", message) }

    /// A scalar option; a missing one without a default is an error.
    func string(_ key: String, _ fallback: String? = nil) throws -> String {
        switch options[key] {
        case .value(let text)?: return text
        case .list?: throw error(key, "must be one value, not a list")
        case nil:
            if let fallback { return fallback }
            throw error(key, "is required")
        }
    }

    /// A scalar option that may be absent; `none` or an empty value turns a default off.
    func optionalString(_ key: String, default fallback: String? = nil) throws -> String? {
        guard options[key] != nil else { return fallback }
        let text = try string(key)
        return text.isEmpty || text.lowercased() == "none" ? nil : text
    }

    func integer(_ key: String, _ fallback: Int, minimum: Int) throws -> Int {
        guard options[key] != nil else { return fallback }
        return try parseInteger(key, try string(key), minimum: minimum)
    }

    /// One integer or a list of them; nil when absent.
    func integers(_ key: String, minimum: Int) throws -> [Int]? {
        switch options[key] {
        case .value(let text)?: return [try parseInteger(key, text, minimum: minimum)]
        case .list(let items)?: return try items.map { try parseInteger(key, $0, minimum: minimum) }
        case nil: return nil
        }
    }

    func parseInteger(_ key: String, _ text: String, minimum: Int) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= minimum else {
            throw error(key, "must be an integer of at least \(minimum), got '\(text)'")
        }
        return value
    }

    /// A path option resolved against the base folder.
    func url(_ key: String) throws -> URL { resolve(try string(key)) }

    func resolve(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded) }
        let folder = base ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return folder.appendingPathComponent(expanded)
    }

    /// One of an enum's names.
    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, _ fallback: Choice) throws -> Choice where Choice.RawValue == String {
        let name = try string(key, fallback.rawValue)
        guard let value = Choice(rawValue: name) else {
            let names = Choice.allCases.map(\.rawValue)
            throw error(key, "'\(name)' is not one of \(names.joined(separator: ", "))\(DatasetFactory.suggestion(name, names))")
        }
        return value
    }

    func number(_ key: String, _ fallback: Double) throws -> Double {
        guard options[key] != nil else { return fallback }
        let text = try string(key)
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw error(key, "must be a number, got '\(text)'")
        }
        return value
    }

    func channels() throws -> ChannelMode {
        let name = try string("channels", "keep")
        guard let mode = ChannelMode(rawValue: name) else {
            throw error("channels", "'\(name)' is not keep, gray or rgb")
        }
        return mode
    }
}
