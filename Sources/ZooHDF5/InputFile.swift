import Foundation

/// Checks a path a user handed in before anything opens it. Foundation's `FileHandle` traps
/// (a `try!` inside `readData`) when the path is a directory, and HDF5 and zip readers report
/// a missing or unreadable file in their own terms; one check up front gives every reader
/// the same plain answer, naming the path.
public enum InputFile {
    /// Why `url` cannot be read as a file, or nil when it can: missing, a directory, not a
    /// regular file (a socket, a device), unreadable, or empty.
    public static func problem(_ url: URL) -> String? {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return "no such file"
        }
        if isDirectory.boolValue { return "is a directory, not a file" }
        // Attributes describe a link itself, not its target: ask about the target.
        let target = url.resolvingSymlinksInPath().path
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: target)
        } catch {
            return "cannot read its attributes: \(error.localizedDescription)"
        }
        if let type = attributes[.type] as? FileAttributeType, type != .typeRegular {
            return "is not a regular file (\(type.rawValue))"
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            return "is not readable (permission denied)"
        }
        if let size = attributes[.size] as? NSNumber, size.int64Value == 0 {
            return "is empty (0 bytes)"
        }
        return nil
    }

    /// The file's size in bytes (0 when it cannot be told; `problem` reports why).
    public static func size(_ url: URL) -> Int64 {
        // A failure here is reported by `problem`, which every reader calls first.
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
