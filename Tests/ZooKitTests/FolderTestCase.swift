import Foundation
import XCTest
import ZooKit

/// A test case with a fresh temporary folder, removed afterwards, and a way to write files in it.
class FolderTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func write(_ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

/// The `zoo` executable built beside the tests (worker processes and SLURM tasks run it); its
/// absence fails the test: the test command builds every product.
func zooExecutable(beside test: AnyClass) throws -> URL {
    let bundle = Bundle(for: test).bundleURL
    let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("zoo") }
    guard let zoo = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw RunError("the zoo executable is not built beside the tests (\(candidates.map(\.path))); build every product first")
    }
    return zoo
}

/// Runs the built `zoo` with `arguments`, this process's environment with `environment` laid
/// over it (a nil value removes a variable): its exit status, standard output and standard error.
func runZoo(
    _ arguments: [String], environment: [String: String?] = [:], beside test: AnyClass
) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = try zooExecutable(beside: test)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    for (name, value) in environment { merged[name] = value }
    process.environment = merged
    // Standard error goes to a file, read after the exit: a child that filled a second pipe
    // while the first was being read would wait forever.
    let errorsFile = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-stderr-\(UUID().uuidString)")
    guard FileManager.default.createFile(atPath: errorsFile.path, contents: nil) else { throw RunError("cannot create \(errorsFile.path)") }
    defer { try? FileManager.default.removeItem(at: errorsFile) }
    let errors = try FileHandle(forWritingTo: errorsFile)
    let output = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try errors.close()
    let errorText = (try? String(contentsOf: errorsFile, encoding: .utf8)) ?? ""
    return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), errorText)
}

