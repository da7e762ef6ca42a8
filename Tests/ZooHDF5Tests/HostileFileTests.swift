import CHDF5
import Foundation
import XCTest
import ZIPFoundation
import ZooCore
import ZooNN
import ZooTestSupport
@testable import ZooHDF5
import ZooKeras

/// Weight files that lie about their sizes, archives that try to write outside their folder,
/// and paths that are not files: each is refused with a message naming the file, before a
/// large allocation and without writing anything.
final class HostileFileTests: XCTestCase {
    /// An HDF5 file whose dataset `big` declares `shape` float32 elements and holds none
    /// (chunked, so HDF5 allocates nothing until written).
    func fileDeclaring(_ shape: [Int], deflate: Bool, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent("declares.h5")
        let file = try HDF5File.create(url)
        let space = H5Screate_simple(Int32(shape.count), shape.map { hsize_t($0) }, nil)
        defer { H5Sclose(space) }
        let properties = H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g)
        defer { H5Pclose(properties) }
        H5Pset_chunk(properties, Int32(shape.count), shape.map { _ in hsize_t(1000) })
        if deflate { H5Pset_deflate(properties, 6) }
        let dataset = H5Dcreate2(file.id, "big", H5T_IEEE_F32LE_g, space, hid_t(H5P_DEFAULT), properties, hid_t(H5P_DEFAULT))
        XCTAssertGreaterThanOrEqual(dataset, 0)
        H5Dclose(dataset)
        try file.close()
        return url
    }

    func testDatasetDeclaringATrillionElementsIsRefusedBeforeAllocation() throws {
        let folder = try temporaryFolder(self)
        for deflate in [false, true] {
            let url = try fileDeclaring([1_000_000, 1_000_000], deflate: deflate, in: folder)
            let dataset = try HDF5File.open(url).root.dataset("big")
            XCTAssertThrowsError(try dataset.readFloats()) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(url.path) && text.contains("'big'") && text.contains("1000000000000 elements"), text)
                XCTAssertTrue(text.contains("the file has only"), text)
            }
        }
    }

    /// A `.keras` archive holding `entries` (name, bytes), deflated.
    func archive(_ entries: [(String, Data)], in folder: URL, name: String = "model.keras") throws -> URL {
        let url = folder.appendingPathComponent(name)
        let archive = try Archive(url: url, accessMode: .create)
        for (path, data) in entries {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return url
    }

    /// Rewrites the uncompressed size of every entry in the local headers and the central
    /// directory, as a zip bomb's author would.
    func declareUncompressedSize(_ size: UInt32, in url: URL) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        func put(_ at: Int) { for b in 0..<4 { bytes[at + b] = UInt8((size >> (8 * UInt32(b))) & 0xFF) } }
        for at in 0..<(bytes.count - 4) {
            if bytes[at..<at + 4].elementsEqual([0x50, 0x4B, 0x03, 0x04]) { put(at + 22) }
            if bytes[at..<at + 4].elementsEqual([0x50, 0x4B, 0x01, 0x02]) { put(at + 24) }
        }
        try Data(bytes).write(to: url)
    }

    func testZipBombDeclaringAnAbsurdRatioIsRefused() throws {
        let folder = try temporaryFolder(self)
        let url = try archive([("config.json", Data("{}".utf8)), ("model.weights.h5", Data(count: 1 << 16))], in: folder)
        try declareUncompressedSize(0xFFFF_FF00, in: url)
        for load in [{ _ = try KerasModelFile.readConfig(url) }, { _ = try inspectWeightFile(url) }] {
            XCTAssertThrowsError(try load()) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(url.path) && text.contains("zip bomb"), text)
            }
        }
    }

    func testEntryInflatingPastItsDeclaredSizeIsStopped() throws {
        let folder = try temporaryFolder(self)
        let config = Data(String(repeating: " ", count: 100_000).utf8)
        let url = try archive([("config.json", config), ("model.weights.h5", Data(count: 10))], in: folder)
        try declareUncompressedSize(1000, in: url)
        XCTAssertThrowsError(try KerasModelFile.readConfig(url)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.path) && text.contains("inflates beyond its declared 1000 bytes"), text)
        }
    }

    func testEntriesClimbingOutOfTheArchiveAreRefusedAndNothingIsWritten() throws {
        let folder = try temporaryFolder(self)
        let inside = folder.appendingPathComponent("inside", isDirectory: true)
        try FileManager.default.createDirectory(at: inside, withIntermediateDirectories: true)
        let escape = folder.appendingPathComponent("escaped.txt")
        for name in ["../escaped.txt", "/tmp/zoo-escaped-\(UUID().uuidString).txt"] {
            let url = try archive(
                [("config.json", Data("{}".utf8)), ("model.weights.h5", Data(count: 10)), (name, Data("x".utf8))],
                in: inside, name: "climb-\(name.hasPrefix("/") ? "absolute" : "relative").keras")
            let before = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).count
            for load in [{ _ = try KerasModelImport.load(url) }, { _ = try inspectWeightFile(url) }] {
                XCTAssertThrowsError(try load()) { error in
                    let text = "\(error)"
                    XCTAssertTrue(text.contains(url.path) && text.contains(name), text)
                    XCTAssertTrue(text.contains("climbs out") || text.contains("absolute entry name"), text)
                    XCTAssertTrue(text.contains("nothing was extracted"), text)
                }
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: escape.path))
            if name.hasPrefix("/") { XCTAssertFalse(FileManager.default.fileExists(atPath: name)) }
            let after = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).count
            XCTAssertLessThanOrEqual(after, before, "a temporary file was left behind")
        }
    }

    func testDirectoriesAndEmptyFilesGivenAsWeightFilesAreNamed() throws {
        let folder = try temporaryFolder(self)
        let directory = folder.appendingPathComponent("weights.h5", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let empty = folder.appendingPathComponent("empty.keras")
        try Data().write(to: empty)
        let missing = folder.appendingPathComponent("missing.h5")
        let model = try BuildContext.run(seed: 1) { Sequential(name: "m", [Dense(units: 2, inputFeatures: 2, name: "dense")]) }
        let cases: [(URL, String)] = [(directory, "is a directory"), (empty, "is empty"), (missing, "no such file")]
        for (url, reason) in cases {
            let loads: [() throws -> Void] = [
                { _ = try inspectWeightFile(url) },
                { _ = try KerasModelImport.load(url) },
                { _ = try KerasWeights.load(into: model, from: url) },
                { _ = try Checkpoint.load(into: model, from: url) },
                { _ = try HDF5File.open(url) },
            ]
            for load in loads {
                XCTAssertThrowsError(try load()) { error in
                    let text = "\(error)"
                    XCTAssertTrue(text.contains(url.path) && text.contains(reason), text)
                }
            }
        }
    }
}
