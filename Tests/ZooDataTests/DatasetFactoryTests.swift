import Foundation
import XCTest
import ZooCore
import ZooHDF5
@testable import ZooData

final class DatasetFactoryTests: XCTestCase {
    func testPhantomsFromOptions() throws {
        let chest = try DatasetFactory.make(source: "phantom", options: ["kind": "chest_ct", "count": "6", "size": "32", "seed": "5"])
        XCTAssertEqual(chest.count, 6)
        XCTAssertEqual(chest.classNames, ["cancer", "pneumonia"])
        XCTAssertEqual(try chest.sample(at: 0).image.shape, [32, 32, 1])
        XCTAssertEqual(try chest.sample(at: 1).image, try ChestCTPhantom(count: 6, seed: 5, size: 32).sample(at: 1).image)
        // The run's seed is the default; a volume takes one size or three.
        let volumes = try DatasetFactory.make(source: "phantom", options: ["kind": "ct_volume", "count": 2, "size": ["8", "12", "16"]], seed: 9)
        XCTAssertEqual(try volumes.sample(at: 0).image.shape, [8, 12, 16, 1])
        XCTAssertEqual(try volumes.sample(at: 1).mask, try CTVolumePhantom(count: 2, seed: 9, shape: [8, 12, 16]).sample(at: 1).mask)
        XCTAssertEqual(try DatasetFactory.make(source: "phantom", options: ["kind": "lidc_nodules"]).count, 200)
        let bigSeed = try DatasetFactory.make(source: "phantom", options: ["kind": "lidc_nodules", "count": 1], seed: .max)
        XCTAssertEqual(try bigSeed.sample(at: 0).image, try NodulePatchPhantom(count: 1, seed: .max).sample(at: 0).image)
    }

    func testEverySourceFromPlainParameters() throws {
        let root = temporaryFolder()
        let parotid = ParotidUltrasoundPhantom(count: 4, seed: 1, size: 32)
        let manifest = try DatasetExport.write(parotid, to: root.appendingPathComponent("export"))
        // folder: the export's class folders (masks live in their own folder beside them).
        let folder = try DatasetFactory.make(source: "folder", options: ["path": "export/images", "channels": "rgb"], base: root)
        XCTAssertEqual(folder.classNames, ["benign", "malignant"])
        XCTAssertEqual(try folder.sample(at: 0).image.channels, 3)
        // csv, with a renamed column.
        let text = try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: "patient_id", with: "pid")
        try text.write(to: manifest, atomically: true, encoding: .utf8)
        let csv = try DatasetFactory.make(source: "csv", options: ["path": .scalar(manifest.path), "group_column": "pid"],
                                          classNames: ["benign", "malignant"])
        XCTAssertEqual(csv.labels, parotid.labels)
        XCTAssertEqual(csv.info(at: 1).group, parotid.info(at: 1).group)
        XCTAssertNotNil(try csv.sample(at: 1).mask)
        // hdf5, with the labels switched off.
        let file = try HDF5File.create(root.appendingPathComponent("arrays.h5"))
        try file.root.createDataset("data/x", floats: [Float](repeating: 1, count: 2 * 3 * 3 * 1), shape: [2, 3, 3, 1])
        try file.close()
        let hdf5 = try DatasetFactory.make(source: "hdf5", options: ["path": "arrays.h5", "images": "data/x", "labels": "none"], base: root)
        XCTAssertEqual(hdf5.count, 2)
        XCTAssertNil(hdf5.info(at: 0).label)
        // nifti: volumes with same-named masks.
        let phantom = CTVolumePhantom(count: 1, seed: 3, shape: [8, 8, 8])
        let sample = try phantom.sample(at: 0)
        try NIfTI.write(sample.image, to: root.appendingPathComponent("imagesTr/a.nii.gz"))
        try NIfTI.write(sample.mask!, as: .uint8, to: root.appendingPathComponent("labelsTr/a.nii.gz"))
        let nifti = try DatasetFactory.make(source: "nifti", options: ["path": "imagesTr", "masks": "labelsTr"], base: root)
        XCTAssertEqual(try nifti.sample(at: 0).mask, sample.mask)
    }

    func testUnknownNamesAreRejectedWithTheNearest() throws {
        // Options are config keys, read by the config's one reader: the key path, the nearest
        // valid name, and the valid keys. A typo is reported before the key it left missing.
        assertConfigError(["data.folder.pth", "unknown key", "did you mean path?", "channels"]) {
            _ = try DatasetFactory.make(source: "folder", options: ["pth": "x"])
        }
        assertConfigError(["data.csv.label_colum", "did you mean label_column?"]) {
            _ = try DatasetFactory.make(source: "csv", options: ["path": "m.csv", "label_colum": "y"])
        }
        assertConfigError(["unknown source 'hdf'", "did you mean hdf5?"]) {
            _ = try DatasetFactory.make(source: "hdf", options: [:])
        }
        assertConfigError(["data.phantom.kind", "'chest-ct'", "did you mean chest_ct?"]) {
            _ = try DatasetFactory.make(source: "phantom", options: ["kind": "chest-ct"])
        }
        assertConfigError(["data.phantom.zzzzzzz", "unknown key", "valid keys here: count, kind, seed, size"]) {
            _ = try DatasetFactory.make(source: "phantom", options: ["kind": "chest_ct", "zzzzzzz": "1"])
        }
        assertConfigError(["data.phantom.count", "integer", "'many'"]) {
            _ = try DatasetFactory.make(source: "phantom", options: ["kind": "chest_ct", "count": "many"])
        }
        assertConfigError(["data.phantom.seed", "'-1'"]) {
            _ = try DatasetFactory.make(source: "phantom", options: ["kind": "chest_ct", "seed": "-1"])
        }
        assertConfigError(["data.phantom.size", "one number"]) {
            _ = try DatasetFactory.make(source: "phantom", options: ["kind": "chest_ct", "size": ["32", "32"]])
        }
        assertConfigError(["data.phantom.size[1]", "at least 8"]) {
            _ = try DatasetFactory.make(source: "phantom", options: ["kind": "ct_volume", "size": [32, 4, 32]])
        }
        assertConfigError(["data.folder.path", "required"]) { _ = try DatasetFactory.make(source: "folder", options: [:]) }
        assertConfigError(["data.lidc.threshold", "label_rule: threshold only"]) {
            _ = try DatasetFactory.make(source: "lidc", options: ["path": "x", "threshold": 4])
        }
        assertDataError(["data.classes", "benign"]) {
            _ = try DatasetFactory.make(source: "phantom", options: ["kind": "chest_ct"], classNames: ["benign", "malignant"])
        }
    }
}
