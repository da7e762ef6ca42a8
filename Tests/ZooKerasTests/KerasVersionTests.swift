import Foundation
import XCTest
import ZooCore
import ZooKeras
import ZooTensor
import ZooTestSupport

/// Files written by Keras 3.0 to 3.12 and tf-keras 2.21 (Tests/Fixtures/keras_versions.py;
/// 3.15 writes every other fixture) load whole and predict what the Keras that wrote them
/// predicted (#16, item 6): a functional CNN and a Sequential of a functional backbone, each as a
/// `.keras` archive and a full-model `.h5`. Zoo rebuilds what the configuration describes, not
/// what a particular Keras release can read back.
final class KerasVersionTests: XCTestCase {
    func testFilesOfEveryKerasReleaseLoadAndPredictAsTheirKeras() throws {
        let expectedURL = try fixtureFile("keras_versions", "expected.json", generator: "Tests/Fixtures/keras_versions.py")
        let folder = expectedURL.deletingLastPathComponent()
        struct Entry: Decodable {
            let tag: String
            let keras_version: String
            let model: String
            let file: String
        }
        struct Expected: Decodable { let files: [Entry] }
        let files = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: expectedURL)).files
        // Every release the fixture script pins, in both formats and both models.
        XCTAssertEqual(
            Set(files.map(\.tag)), ["keras-3.0.5", "keras-3.3.3", "keras-3.6.0", "keras-3.9.2", "keras-3.12.0", "tf-keras-2.21.0"])
        XCTAssertEqual(files.count, 6 * 2 * 2)
        for entry in files {
            let stem = folder.appendingPathComponent("\(entry.tag).\(entry.model)")
            let x = try readNumpy(URL(fileURLWithPath: stem.path + ".input.npy"))
            let keras = try readNumpy(URL(fileURLWithPath: stem.path + ".output.npy"))
            let (model, report) = try KerasModelImport.load(folder.appendingPathComponent(entry.file))
            XCTAssertTrue(report.missing.isEmpty && report.unexpected.isEmpty, "\(entry.file): \(report)")
            let output = try withoutGrad { try model(x) }
            XCTAssertEqual(output.shape, keras.shape, entry.file)
            let difference = zip(output.scalars, keras.scalars).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(difference, 1e-5, "\(entry.file) (Keras \(entry.keras_version))")
        }
    }
}
