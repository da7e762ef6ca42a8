import Foundation
import XCTest
import ZooCore
import ZooHDF5
@testable import ZooData

final class HDF5ArrayTests: XCTestCase {
    /// Writes an HDF5 file through ZooHDF5; `body` fills its root group.
    func writeFile(_ name: String, _ body: (HDF5Group) throws -> Void) throws -> URL {
        let url = temporaryFolder(name).appendingPathComponent("\(name).h5")
        let file = try HDF5File.create(url)
        try body(try file.root)
        try file.close()
        return url
    }

    func testImagesLabelsMasksAndClassNamesAttribute() throws {
        // 3 images of 4 x 5 x 2 as float64, int64 labels under a group, masks without channel axis.
        let images = (0..<(3 * 4 * 5 * 2)).map { Double($0) / 2 }
        let masks = (0..<(3 * 4 * 5)).map { Float($0 % 3) }
        let url = try writeFile("arrays") { root in
            try root.createDataset("x/images", doubles: images, shape: [3, 4, 5, 2])
            try root.createDataset("y/labels", int64s: [1, 0, 2], shape: [3])
            try root.createDataset("y/masks", floats: masks, shape: [3, 4, 5])
            try root.createDataset("patients", int64s: [7, 7, 9], shape: [3, 1])
            try root.dataset("y/labels").setAttribute("class_names", strings: ["benign", "malignant", "other"])
        }
        let names = HDF5ArrayDataset.Names(images: "/x/images", labels: "y/labels", masks: "y/masks", groups: "patients")
        let data = try HDF5ArrayDataset(file: url, names: names)
        XCTAssertEqual(data.count, 3)
        XCTAssertEqual(data.classNames, ["benign", "malignant", "other"])
        XCTAssertEqual(data.labels, [1, 0, 2])
        XCTAssertEqual(data.info(at: 2).group, "9")
        let sample = try data.sample(at: 1)
        XCTAssertEqual(sample.image.shape, [4, 5, 2])
        XCTAssertEqual(sample.image.values, images[40..<80].map { Float($0) })
        XCTAssertEqual(sample.mask?.shape, [4, 5, 1])
        XCTAssertEqual(sample.mask?.values, Array(masks[20..<40]))
        XCTAssertEqual(sample.label, 0)
        try sample.validateMask(source: "test")

        // The given class names win over the attribute; without labels the data is unlabelled.
        let given = try HDF5ArrayDataset(file: url, names: names, classNames: ["a", "b", "c", "d"])
        XCTAssertEqual(given.classNames, ["a", "b", "c", "d"])
        let unlabelled = try HDF5ArrayDataset(file: url, names: .init(images: "x/images", labels: nil))
        XCTAssertEqual(unlabelled.classNames, [])
        XCTAssertNil(try unlabelled.sample(at: 0).label)
    }

    func testVolumesUnsignedLabelsAndOneHot() throws {
        let url = try writeFile("volumes") { root in
            try root.createDataset("images", uint64s: (0..<(2 * 3 * 4 * 5)).map { UInt64($0) }, shape: [2, 3, 4, 5, 1])
            try root.createDataset("labels", uint64s: [0, 1], shape: [2])
            try root.createDataset("onehot", floats: [0, 1, 1, 0], shape: [2, 2])
            try root.createDataset("masks", int64s: [Int64](repeating: 1, count: 2 * 3 * 4 * 5), shape: [2, 3, 4, 5, 1])
        }
        let data = try HDF5ArrayDataset(file: url, names: .init(masks: "masks"))
        XCTAssertEqual(data.classNames, ["0", "1"])
        let volume = try data.sample(at: 1)
        XCTAssertEqual(volume.image.shape, [3, 4, 5, 1])
        XCTAssertEqual(volume.image.values.first, 60)
        XCTAssertEqual(volume.mask?.shape, [3, 4, 5, 1])
        let oneHot = try HDF5ArrayDataset(file: url, names: .init(labels: "onehot"), classNames: ["benign", "malignant"])
        XCTAssertEqual(oneHot.labels, [1, 0])
    }

    func testErrorsNameTheFileAndTheDataset() throws {
        let url = try writeFile("broken") { root in
            try root.createDataset("images", floats: [Float](repeating: 0, count: 3 * 4 * 4 * 1), shape: [3, 4, 4, 1])
            try root.createDataset("flat", floats: [Float](repeating: 0, count: 3 * 16), shape: [3, 16])
            try root.createDataset("labels", int64s: [0, 1, 1], shape: [3])
            try root.createDataset("two_labels", int64s: [0, 1], shape: [2])
            try root.createDataset("halves", doubles: [0, 0.5, 1], shape: [3])
            try root.createDataset("bad_hot", floats: [1, 1, 0, 1, 1, 0], shape: [3, 2])
            try root.createDataset("masks", floats: [Float](repeating: 0, count: 3 * 4 * 5), shape: [3, 4, 5, 1])
            try root.createDataset("note", string: "not numbers")
            try root.setAttribute("class_names", strings: ["only"])
            try root.createGroup("group")
        }
        let path = url.path
        assertDataError([path, "'pictures'", "no such dataset", "images"]) {
            _ = try HDF5ArrayDataset(file: url, names: .init(images: "pictures"))
        }
        assertDataError([path, "'flat'", "rank 2", "N x H x W x C"]) {
            _ = try HDF5ArrayDataset(file: url, names: .init(images: "flat"))
        }
        assertDataError([path, "'two_labels'", "2 labels", "for 3 images"]) {
            _ = try HDF5ArrayDataset(file: url, names: .init(labels: "two_labels"))
        }
        assertDataError([path, "'masks'", "[3, 4, 5, 1]", "[3, 4, 4, 1]"]) {
            _ = try HDF5ArrayDataset(file: url, names: .init(masks: "masks"), classNames: ["a", "b"])
        }
        assertDataError([path, "'halves'", "0.5", "row 1"]) {
            _ = try HDF5ArrayDataset(file: url, names: .init(labels: "halves"))
        }
        assertDataError([path, "'bad_hot'", "row 0"]) {
            _ = try HDF5ArrayDataset(file: url, names: .init(labels: "bad_hot"))
        }
        assertDataError([path, "'labels'", "label 1", "class_names", "only"]) {
            _ = try HDF5ArrayDataset(file: url)
        }
        assertDataError([path, "'note'", "not numbers"]) {
            _ = try HDF5ArrayDataset(file: url, names: .init(images: "note"))
        }
        assertDataError([path, "'group'", "not a dataset"]) {
            _ = try HDF5ArrayDataset(file: url, names: .init(images: "group"))
        }

        let notHDF5 = url.deletingLastPathComponent().appendingPathComponent("text.h5")
        try Data("hello".utf8).write(to: notHDF5)
        assertDataError([notHDF5.path, "not an HDF5 file"]) { _ = try HDF5ArrayDataset(file: notHDF5) }
        assertDataError(["missing.h5", "no such file"]) {
            _ = try HDF5ArrayDataset(file: url.deletingLastPathComponent().appendingPathComponent("missing.h5"))
        }
    }
}
