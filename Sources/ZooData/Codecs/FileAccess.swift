import Foundation
import ZooCore
import ZooHDF5

/// Whole-file reads and writes whose errors name the file.
enum FileAccess {
    static func read(_ url: URL) throws -> Data {
        if let problem = InputFile.problem(url) {
            throw DataError(url.path, problem)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw DataError(url.path, "cannot read: \(error.localizedDescription)")
        }
    }

    static func write(_ data: Data, to url: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw DataError(url.path, "cannot write: \(error.localizedDescription)")
        }
    }
}
