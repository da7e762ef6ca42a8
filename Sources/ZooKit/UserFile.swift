import Foundation
import ZooHDF5

/// Files whose paths a user gives (configs, prediction CSVs, run directories): every way a path
/// can be wrong is said in words naming it and the file's role (missing, a folder, unreadable,
/// empty, not text), never a crash or a bare "cannot read". The checks are ZooHDF5's
/// `InputFile`, which every reader of the project shares.
enum UserFile {
    /// The UTF-8 text of `url`; `what` names the file's role in the message ("config").
    static func text(_ url: URL, what: String) throws -> String {
        if let problem = InputFile.check(url) {
            switch problem {
            case .missing: throw RunError("\(url.path): no such \(what) file")
            case .directory: throw RunError("\(url.path) is a folder; the \(what) must be a file")
            case .empty: throw RunError("\(url.path): the \(what) is empty")
            default: throw RunError("\(url.path): the \(what) \(problem)")
            }
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RunError("\(url.path): the \(what) cannot be read (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw RunError("\(url.path): the \(what) is not UTF-8 text") }
        return text
    }
}
