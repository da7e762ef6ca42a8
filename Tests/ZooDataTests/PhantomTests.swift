import Foundation
import XCTest
import ZooCore
import ZooTensor
@testable import ZooData

final class PhantomTests: XCTestCase {
    let phantoms: [(String, PhantomDatasetBox)] = [
        ("chest_ct", PhantomDatasetBox(ChestCTPhantom(count: 40, seed: 1))),
        ("lung_ultrasound", PhantomDatasetBox(LungUltrasoundPhantom(count: 40, seed: 1))),
        ("parotid_ultrasound", PhantomDatasetBox(ParotidUltrasoundPhantom(count: 40, seed: 1))),
        ("ct_volume", PhantomDatasetBox(CTVolumePhantom(count: 12, seed: 1))),
        ("lidc_nodules", PhantomDatasetBox(NodulePatchPhantom(count: 40, seed: 1))),
    ]

    func testPhantomsAreReproducibleAndLabelled() throws {
        for (name, box) in phantoms {
            let data = box.dataset
            let a = try data.sample(at: 3), b = try data.sample(at: 3)
            XCTAssertEqual(a.image, b.image, name)
            XCTAssertNotEqual(a.image, try data.sample(at: 4).image, name)
            XCTAssertEqual(a.label, data.info(at: 3).label, name)
            XCTAssertEqual(Set(data.labels.compactMap { $0 }), [0, 1], name)
            try a.validateMask(source: name)
            XCTAssertFalse(a.image.values.contains { !$0.isFinite }, name)
        }
        let volume = try CTVolumePhantom(count: 12, seed: 1).sample(at: 0)
        XCTAssertEqual(volume.image.shape, [64, 64, 64, 1])
        let volumes = CTVolumePhantom(count: 12, seed: 1)
        for i in 0..<12 {
            let s = try volumes.sample(at: i)
            XCTAssertEqual(s.mask!.values.reduce(0, +) > 0, s.label == 1, "scan \(i)")
        }
        let parotid = ParotidUltrasoundPhantom(count: 5, seed: 2)
        for i in 0..<5 { XCTAssertGreaterThan(try parotid.sample(at: i).mask!.values.reduce(0, +), 50) }
        let nodules = NodulePatchPhantom(count: 1000, seed: 3)
        let malignant = nodules.labels.filter { $0 == 1 }.count
        XCTAssertEqual(malignant, 300, accuracy: 45)
        XCTAssertEqual(try nodules.sample(at: 0).image.shape, [124, 124, 1])
    }

    /// Small images put lesions near the edges: shadows and enhancement below a lesion at the
    /// bottom row must not reach outside the image (this once read out of bounds at 96x96).
    func testSmallUltrasoundImagesStayInBounds() throws {
        for size in [48, 64, 96] {
            let parotid = ParotidUltrasoundPhantom(count: 120, seed: 11, size: size)
            let lung = LungUltrasoundPhantom(count: 120, seed: 11, size: size)
            for index in 0..<120 {
                XCTAssertEqual(try parotid.sample(at: index).image.shape, [size, size, 1])
                XCTAssertEqual(try lung.sample(at: index).image.shape, [size, size, 1])
            }
        }
    }

    func testSliceGenerationIsFast() throws {
        // Per-sample generation time of every phantom at its default size; the bound is loose
        // enough for a debug build (docs/DATA.md gives the release numbers).
        let kinds: [(String, Dataset, Int)] = [
            ("chest_ct 224x224", ChestCTPhantom(count: 20, seed: 1), 20),
            ("lung_ultrasound 224x224", LungUltrasoundPhantom(count: 20, seed: 1), 20),
            ("parotid_ultrasound 224x224", ParotidUltrasoundPhantom(count: 20, seed: 1), 20),
            ("lidc_nodules 124x124", NodulePatchPhantom(count: 20, seed: 1), 20),
            ("ct_volume 64^3", CTVolumePhantom(count: 3, seed: 1), 3),
        ]
        for (name, data, count) in kinds {
            _ = try data.sample(at: 0)  // warm-up
            let start = Date()
            for i in 0..<count { _ = try data.sample(at: i) }
            let perSample = Date().timeIntervalSince(start) / Double(count)
            print(String(format: "phantom %@: %.1f ms per sample", name, perSample * 1000))
            if name.hasPrefix("chest_ct") { XCTAssertLessThan(perSample, 0.5) }
        }
    }

    func testExportAndReloadThroughTheManifest() throws {
        let folder = temporaryFolder()
        let parotid = ParotidUltrasoundPhantom(count: 4, seed: 1)
        let manifest = try DatasetExport.write(parotid, to: folder)
        let reloaded = try ManifestDataset(manifest: manifest, classNames: parotid.classNames)
        XCTAssertEqual(reloaded.labels, parotid.labels)
        let original = try parotid.sample(at: 2), read = try reloaded.sample(at: 2)
        XCTAssertEqual(read.mask, original.mask)
        XCTAssertEqual(read.info.group, original.info.group)
        XCTAssertEqual(read.image.values, original.image.values.map { max(0, min(255, $0.rounded())) })

        let volumes = CTVolumePhantom(count: 2, seed: 1, shape: [16, 16, 16])
        let volumeManifest = try DatasetExport.write(volumes, to: folder.appendingPathComponent("volumes"))
        let volumeData = try ManifestDataset(manifest: volumeManifest, classNames: volumes.classNames)
        XCTAssertEqual(try volumeData.sample(at: 1).image, try volumes.sample(at: 1).image)
        XCTAssertEqual(try volumeData.sample(at: 1).mask, try volumes.sample(at: 1).mask)
    }

    /// Writes the pictures of docs/phantoms when ZOO_WRITE_PHANTOM_DOCS names the folder.
    func testWriteDocumentationMontages() throws {
        guard let path = ProcessInfo.processInfo.environment["ZOO_WRITE_PHANTOM_DOCS"] else { return }
        let folder = URL(fileURLWithPath: path)
        for (name, box) in phantoms {
            let data = box.dataset
            var samples: [Sample] = []
            for label in [0, 1] {
                samples += (0..<data.count).filter { data.info(at: $0).label == label }.prefix(6).map { try! data.sample(at: $0) }
            }
            let window: (Float, Float)? = name == "ct_volume" ? (-1000, 400) : (0, 255)
            try PNG.write(Montage.make(samples, columns: 6, tile: name == "ct_volume" ? 128 : 160, window: window),
                          to: folder.appendingPathComponent("\(name).png"))
        }
    }
}

/// Holds any phantom as an existential (the table above mixes types).
struct PhantomDatasetBox {
    let dataset: Dataset
    init(_ dataset: Dataset) { self.dataset = dataset }
}
