import Foundation

/// Files whose paths a user gives (configs, prediction CSVs, run directories): every way a path
/// can be wrong is said in words naming it (missing, a folder, unreadable, empty, not text),
/// never a crash or a bare "cannot read".
enum UserFile {
    /// The UTF-8 text of `url`; `what` names the file's role in the message ("config").
    static func text(_ url: URL, what: String) throws -> String {
        try check(url, what: what)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RunError("\(url.path): the \(what) cannot be read (\(error.localizedDescription))")
        }
        guard !data.isEmpty else { throw RunError("\(url.path): the \(what) is empty") }
        guard let text = String(data: data, encoding: .utf8) else { throw RunError("\(url.path): the \(what) is not UTF-8 text") }
        return text
    }

    /// Throws unless `url` is an existing, readable regular file.
    static func check(_ url: URL, what: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RunError("\(url.path): no such \(what) file")
        }
        guard !isDirectory.boolValue else { throw RunError("\(url.path) is a folder; the \(what) must be a file") }
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw RunError("\(url.path): the \(what) is not readable (permissions)")
        }
    }
}
