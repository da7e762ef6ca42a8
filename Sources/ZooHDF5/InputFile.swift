import Foundation

/// Checks a path a user handed in before anything opens it. Foundation's `FileHandle` traps
/// (a `try!` inside `readData`) when the path is a directory, and HDF5 and zip readers report
/// a missing or unreadable file in their own terms; one check up front gives every reader
/// the same plain answer, naming the path.
public enum InputFile {
    /// What is wrong with a path that should be a readable file.
    public enum Problem: Equatable, CustomStringConvertible {
        case missing
        case directory
        /// A socket, a device: the file type's name.
        case notRegular(String)
        /// The attributes could not be read: the system's reason.
        case unreadableAttributes(String)
        case notReadable
        case empty

        public var description: String {
            switch self {
            case .missing: return "no such file"
            case .directory: return "is a directory, not a file"
            case .notRegular(let type): return "is not a regular file (\(type))"
            case .unreadableAttributes(let reason): return "cannot read its attributes: \(reason)"
            case .notReadable: return "is not readable (permission denied)"
            case .empty: return "is empty (0 bytes)"
            }
        }
    }

    /// Why `url` cannot be read as a file, in words, or nil when it can.
    public static func problem(_ url: URL) -> String? { check(url)?.description }

    /// Why `url` cannot be read as a file, or nil when it can: missing, a directory, not a
    /// regular file (a socket, a device), unreadable, or empty.
    public static func check(_ url: URL) -> Problem? {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        if isDirectory.boolValue { return .directory }
        // Attributes describe a link itself, not its target: ask about the target.
        let target = url.resolvingSymlinksInPath().path
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: target)
        } catch {
            return .unreadableAttributes(error.localizedDescription)
        }
        if let type = attributes[.type] as? FileAttributeType, type != .typeRegular { return .notRegular(type.rawValue) }
        guard FileManager.default.isReadableFile(atPath: path) else { return .notReadable }
        if let size = attributes[.size] as? NSNumber, size.int64Value == 0 { return .empty }
        return nil
    }

    /// The file's size in bytes (0 when it cannot be told; `problem` reports why).
    public static func size(_ url: URL) -> Int64 {
        // A failure here is reported by `problem`, which every reader calls first.
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
