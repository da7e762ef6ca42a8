import Foundation
import XCTest
import ZooCore
import ZooTensor
@testable import ZooData

final class SplitLoaderTests: XCTestCase {
    func testStratifiedGroupedSplitKeepsPatientsApartAndProportions() throws {
        let data = ChestCTPhantom(count: 400, seed: 1, size: 32, slicesPerPatient: 4)
        let split = try Splitter.split(data, fractions: [("train", 0.7), ("validation", 0.3)], stratified: true, seed: 7)
        let train = try split.indices("train", in: data), validation = try split.indices("validation", in: data)
        XCTAssertEqual(train.count + validation.count, 400)
        XCTAssertEqual(Double(validation.count) / 400, 0.3, accuracy: 0.03)
        XCTAssertTrue(Set(train.map { data.info(at: $0).group! }).isDisjoint(with: validation.map { data.info(at: $0).group! }))
        let share = { (indices: [Int]) in Double(indices.filter { data.info(at: $0).label == 1 }.count) / Double(indices.count) }
        XCTAssertEqual(share(train), share(validation), accuracy: 0.05)
        let again = try Splitter.split(data, fractions: [("train", 0.7), ("validation", 0.3)], stratified: true, seed: 7)
        XCTAssertEqual(split, again)

        let url = temporaryFolder().appendingPathComponent("split.json")
        try split.save(to: url)
        XCTAssertEqual(try Split.load(from: url), split)
    }

    func testThreeWaySplitAndKFoldCoverEverySampleOnce() throws {
        let data = NodulePatchPhantom(count: 150, seed: 2, size: 16)
        let split = try Splitter.split(data, fractions: [("train", 0.7), ("validation", 0.15), ("test", 0.15)], stratified: true, grouped: false, seed: 1)
        XCTAssertEqual(split.parts.values.map(\.count).reduce(0, +), 150)
        XCTAssertEqual(split.parts["test"]!.count, 22, accuracy: 3)
        var seen: [String] = []
        for fold in 0..<5 {
            let k = try Splitter.kFold(data, folds: 5, fold: fold, seed: 3)
            seen += k.parts["validation"]!
            XCTAssertTrue(Set(k.parts["train"]!).isDisjoint(with: k.parts["validation"]!))
            XCTAssertEqual(k.parts["validation"]!.count, 30, accuracy: 4)
        }
        XCTAssertEqual(Set(seen).count, 150)
        XCTAssertEqual(seen.count, 150)
    }

    func testClassWeightsAndOversampling() {
        let data = InMemoryDataset(samples: (0..<10).map { i in
            Sample(image: ImageArray(repeating: 0, shape: [1, 1, 1]), label: i < 8 ? 0 : 1, info: SampleInfo(id: "\(i)"))
        }, classNames: ["a", "b"])
        XCTAssertEqual(ClassBalance.balancedWeights(data), [10.0 / 16, 10.0 / 4])
        let balanced = ClassBalance.oversample(data, indices: Array(0..<10), seed: 1)
        XCTAssertEqual(balanced.count, 16)
        XCTAssertEqual(balanced.filter { $0 >= 8 }.count, 8)
    }

    func testLoaderIsDeterministicWhateverTheThreadCount() throws {
        let data = ChestCTPhantom(count: 23, seed: 4, size: 32)
        let transform = try Transform.pipeline([("random_flip", [:]), ("random_rotation", ["degrees": 20])])
        func batches(workers: Int, epoch: Int) throws -> [Batch] {
            let loader = try DataLoader(dataset: data, transform: transform, options: .init(batchSize: 5, workers: workers, prefetch: 2), seed: 11)
            return try loader.epoch(epoch).all()
        }
        let serial = try batches(workers: 0, epoch: 1)
        XCTAssertEqual(serial.count, 5)
        XCTAssertEqual(serial.last!.images.shape, [3, 32, 32, 1])
        for workers in [1, 3] {
            let threaded = try batches(workers: workers, epoch: 1)
            XCTAssertEqual(threaded.map(\.ids), serial.map(\.ids))
            XCTAssertEqual(threaded.map(\.images.scalars), serial.map(\.images.scalars))
        }
        XCTAssertNotEqual(try batches(workers: 2, epoch: 2).map(\.ids), serial.map(\.ids))
    }

    func testLoaderSkipsBadSamplesOrStops() throws {
        let root = temporaryFolder()
        for i in 0..<4 { try PNG.write(pattern(height: 4, width: 4, channels: 1), to: root.appendingPathComponent("c/\(i).png")) }
        try Data([0x89, 0x50, 0x4E, 0x47, 1, 2]).write(to: root.appendingPathComponent("c/2.png"))
        let data = try FolderDataset(root: root)
        let skipping = try DataLoader(dataset: data, options: .init(batchSize: 2, shuffle: false, workers: 2, skipBadSamples: true), seed: 0)
        let epoch = skipping.epoch(0)
        XCTAssertEqual(try epoch.all().map(\.ids.count), [2, 1])
        XCTAssertEqual(epoch.skipped.map(\.id), ["c/2.png"])
        XCTAssertTrue(epoch.skipped[0].reason.contains("2.png"))
        let strict = try DataLoader(dataset: data, options: .init(batchSize: 2, shuffle: false, workers: 2), seed: 0)
        assertDataError(["2.png"]) { _ = try strict.epoch(0).all() }
    }

    func testPatchesPerVolume() throws {
        let data = CTVolumePhantom(count: 3, seed: 5, shape: [24, 24, 24], tumourFreeFraction: 0)
        let loader = try DataLoader(dataset: data, transform: RandomCropByPosNegLabel(size: [8, 8, 8]),
                                    options: .init(batchSize: 2, workers: 1, samplesPerItem: 4), seed: 1)
        let batches = try loader.epoch(0).all()
        XCTAssertEqual(batches.map { $0.images.shape[0] }, [8, 4])
        XCTAssertEqual(batches[0].masks?.shape, [8, 8, 8, 8, 1])
    }
}

func XCTAssertEqual(_ a: Int, _ b: Int, accuracy: Int, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(abs(a - b), accuracy, "\(a) is not \(b) +- \(accuracy)", file: file, line: line)
}
