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
