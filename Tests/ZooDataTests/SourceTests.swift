import Foundation
import XCTest
import ZooCore
import ZooTensor
@testable import ZooData

final class SourceTests: XCTestCase {
    func testFolderPerClassSortsClassesAndFiles() throws {
        let root = temporaryFolder()
        for (cls, n) in [("pneumonia", 2), ("cancer", 3)] {
            for i in 0..<n {
                try PNG.write(pattern(height: 4, width: 5, channels: 1), to: root.appendingPathComponent("\(cls)/img\(i).png"))
            }
        }
        try Data([1, 2]).write(to: root.appendingPathComponent("cancer/notes.txt"))
        let dataset = try FolderDataset(root: root, channels: .rgb)
        XCTAssertEqual(dataset.classNames, ["cancer", "pneumonia"])
        XCTAssertEqual(dataset.count, 5)
        XCTAssertEqual(dataset.labels, [0, 0, 0, 1, 1])
        XCTAssertEqual(dataset.info(at: 3).id, "pneumonia/img0.png")
        XCTAssertEqual(try dataset.sample(at: 0).image.shape, [4, 5, 3])
    }

    func testEmptyClassFolderIsAnErrorNamingIt() throws {
        let root = temporaryFolder()
        try PNG.write(pattern(height: 4, width: 4, channels: 1), to: root.appendingPathComponent("a/x.png"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("b"), withIntermediateDirectories: true)
        assertDataError([root.appendingPathComponent("b").path, "no PNG"]) { _ = try FolderDataset(root: root) }
    }

    func writeManifest(_ root: URL, _ lines: [String]) throws -> URL {
        let url = root.appendingPathComponent("manifest.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testManifestWithMasksSplitsAndCustomColumns() throws {
        let root = temporaryFolder()
        try PNG.write(pattern(height: 6, width: 6, channels: 1), to: root.appendingPathComponent("a.png"))
        try PNG.write(pattern(height: 6, width: 6, channels: 1), to: root.appendingPathComponent("b.png"))
        var mask = ImageArray(repeating: 0, shape: [6, 6, 1])
        mask.values[7] = 255
        try PNG.write(mask, to: root.appendingPathComponent("a_mask.png"))
        let url = try writeManifest(root, ["file,diagnosis,fold,seg,pid", "a.png,malignant,train,a_mask.png,p1",
                                           "\"b.png\",benign,test,,p2"])
        let columns = ManifestDataset.Columns(path: "file", label: "diagnosis", split: "fold", mask: "seg", group: "pid")
        let all = try ManifestDataset(manifest: url, columns: columns)
        XCTAssertEqual(all.classNames, ["benign", "malignant"])
        XCTAssertEqual(all.labels, [1, 0])
        let sample = try all.sample(at: 0)
        XCTAssertEqual(sample.mask?.values.reduce(0, +), 1)
        XCTAssertEqual(sample.info.group, "p1")
        let train = try ManifestDataset(manifest: url, columns: columns, classNames: ["benign", "malignant"], split: "train")
        XCTAssertEqual(train.count, 1)
    }

    func testManifestErrorsNameTheFileAndLine() throws {
        let root = temporaryFolder()
        try PNG.write(pattern(height: 6, width: 6, channels: 1), to: root.appendingPathComponent("a.png"))
        try PNG.write(pattern(height: 5, width: 6, channels: 1), to: root.appendingPathComponent("small_mask.png"))
        let missing = try writeManifest(root, ["path,label", "a.png,x", "gone.png,x"])
        assertDataError([missing.path, "line 3", "gone.png"]) { _ = try ManifestDataset(manifest: missing) }
        let label = try writeManifest(root, ["path,label", "a.png,cat"])
        assertDataError([label.path, "line 2", "cat"]) { _ = try ManifestDataset(manifest: label, classNames: ["benign", "malignant"]) }
        let shapes = try writeManifest(root, ["path,label,mask", "a.png,x,small_mask.png"])
        let dataset = try ManifestDataset(manifest: shapes)
        assertDataError([shapes.path, "line 2", "small_mask.png", "does not match"]) { _ = try dataset.sample(at: 0) }
    }

    func testVolumeFolderPairsMasks() throws {
        let root = temporaryFolder()
        let phantom = CTVolumePhantom(count: 2, seed: 3, shape: [16, 20, 24])
        for i in 0..<2 {
            let sample = try phantom.sample(at: i)
            try NIfTI.write(sample.image, to: root.appendingPathComponent("imagesTr/\(sample.id).nii.gz"))
            try NIfTI.write(sample.mask!, as: .uint8, to: root.appendingPathComponent("labelsTr/\(sample.id).nii.gz"))
        }
        let dataset = try VolumeFolderDataset(images: root.appendingPathComponent("imagesTr"), masks: root.appendingPathComponent("labelsTr"))
        XCTAssertEqual(dataset.count, 2)
        let read = try dataset.sample(at: 1)
        XCTAssertEqual(read.image.shape, [16, 20, 24, 1])
        XCTAssertEqual(read.mask, try phantom.sample(at: 1).mask)
    }
}
