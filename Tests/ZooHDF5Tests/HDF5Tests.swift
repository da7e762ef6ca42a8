import Foundation
import XCTest
import ZooCore
import ZooNN
import ZooSmallCNN
import ZooTensor
@testable import ZooHDF5

final class HDF5Tests: XCTestCase {
    func testGroupsDatasetsAttributesRoundTrip() throws {
        let url = try temporaryFolder(self).appendingPathComponent("basic.h5")
        do {
            let file = try HDF5File.create(url)
            let root = try file.root
            try root.createDataset("a/b/floats", floats: [1, 2, 3, 4, 5, 6], shape: [2, 3])
            try root.createDataset("doubles", doubles: [0.5], shape: [])
            try root.createDataset("counts", int64s: [-1, 7], shape: [2])
            try root.createDataset("state", uint64s: [.max, 1], shape: [2])
            try root.createDataset("text", string: "{\"lr\": 0.001}")
            try root.setAttribute("fixed", strings: ["conv2d", "batch_normalization"])
            try root.setAttribute("variable", strings: ["é", "x"], variableLength: true)
            try root.setAttribute("empty", strings: [])
            try root.setAttribute("scalar", string: "tensorflow")
            try root.group("a").setAttribute("epoch", int64: 12)
            try file.close()
        }
        let root = try HDF5File.open(url).root
        XCTAssertEqual(try root.memberNames(), ["a", "counts", "doubles", "state", "text"])
        XCTAssertEqual(root.kind(of: "a/b"), .group)
        XCTAssertEqual(root.kind(of: "a/b/floats"), .dataset)
        XCTAssertNil(root.kind(of: "a/zzz/floats"))
        let floats = try root.dataset("a/b/floats")
        XCTAssertEqual(floats.shape, [2, 3])
        XCTAssertEqual(floats.dataType, .float32)
        XCTAssertEqual(try floats.readFloats(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try floats.readDoubles(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try root.dataset("doubles").dataType, .float64)
        XCTAssertEqual(try root.dataset("doubles").shape, [])
        XCTAssertEqual(try root.dataset("counts").readInt64s(), [-1, 7])
        XCTAssertEqual(try root.dataset("counts").dataType, .integer(bits: 64, signed: true))
        XCTAssertEqual(try root.dataset("state").readUInt64s(), [.max, 1])
        XCTAssertEqual(try root.dataset("text").readString(), "{\"lr\": 0.001}")
        XCTAssertEqual(try root.datasetPaths(), ["a/b/floats", "counts", "doubles", "state", "text"])
        XCTAssertEqual(try root.attributeNames(), ["empty", "fixed", "scalar", "variable"])
        XCTAssertEqual(try root.stringsAttribute("fixed"), ["conv2d", "batch_normalization"])
        XCTAssertEqual(try root.attributeInfo("fixed").type, .string(variableLength: false))
        XCTAssertEqual(try root.stringsAttribute("variable"), ["é", "x"])
        XCTAssertEqual(try root.attributeInfo("variable").type, .string(variableLength: true))
        XCTAssertEqual(try root.stringsAttribute("empty"), [])
        XCTAssertEqual(try root.attributeInfo("empty").type, .float64)
        XCTAssertEqual(try root.stringAttribute("scalar"), "tensorflow")
        XCTAssertEqual(try root.group("a").int64sAttribute("epoch"), [12])
    }

    func testErrorsNameFileAndPath() throws {
        let url = try temporaryFolder(self).appendingPathComponent("errors.h5")
        try HDF5File.create(url).root.createDataset("x", floats: [1], shape: [1])
        let root = try HDF5File.open(url).root
        XCTAssertThrowsError(try root.dataset("missing/y")) { error in
            let error = error as! HDF5Error
            XCTAssertEqual(error.file, url.path)
            XCTAssertEqual(error.path, "missing/y")
        }
        XCTAssertThrowsError(try root.group("x")) { XCTAssertTrue("\($0)".contains("is not a group"), "\($0)") }
        XCTAssertThrowsError(try root.stringsAttribute("nope")) { XCTAssertTrue("\($0)".contains(url.path), "\($0)") }
        // Writing into a read-only file fails with HDF5's own stack in the message.
        XCTAssertThrowsError(try root.createDataset("z", floats: [1], shape: [1])) { error in
            XCTAssertFalse((error as! HDF5Error).stack.isEmpty, "\(error)")
        }
    }

    func testGarbageIsNotHDF5() throws {
        let url = try temporaryFolder(self).appendingPathComponent("garbage.h5")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: url)
        XCTAssertThrowsError(try HDF5File.open(url)) { XCTAssertTrue("\($0)".contains("not an HDF5 file") && "\($0)".contains(url.path), "\($0)") }
        XCTAssertThrowsError(try KerasWeights.load(into: Sequential(), from: url)) { XCTAssertTrue("\($0)".contains(url.path), "\($0)") }
    }

    func testTruncatedHDF5() throws {
        let folder = try temporaryFolder(self)
        let model = try BuildContext.run(seed: 3) { try SmallCNN(inputShape: [32, 32, 1]) }
        let url = folder.appendingPathComponent("whole.h5")
        try KerasWeights.exportKeras2(model, to: url)
        let data = try Data(contentsOf: url)
        for fraction in [0.1, 0.5, 0.9] {
            let truncated = folder.appendingPathComponent("truncated-\(fraction).h5")
            try data.prefix(Int(Double(data.count) * fraction)).write(to: truncated)
            XCTAssertThrowsError(try KerasWeights.load(into: model, from: truncated)) { error in
                XCTAssertTrue("\(error)".contains(truncated.path), "\(error)")
            }
        }
    }

    /// A weight stored as integers is an error naming its path, whatever the options.
    func testWrongDtype() throws {
        let url = try temporaryFolder(self).appendingPathComponent("dtype.h5")
        let model = BuildContext.run(seed: 1) { Sequential(name: "m", [Dense(units: 2, inputFeatures: 3, name: "dense")]) }
        do {
            let root = try HDF5File.create(url).root
            try root.setAttribute("layer_names", strings: ["dense"])
            let group = try root.createGroup("dense")
            try group.setAttribute("weight_names", strings: ["dense/kernel:0", "dense/bias:0"])
            try group.createDataset("dense/kernel:0", int64s: [1, 2, 3, 4, 5, 6], shape: [3, 2])
            try group.createDataset("dense/bias:0", floats: [0, 0], shape: [2])
        }
        XCTAssertThrowsError(try KerasWeights.load(into: model, from: url, options: .init(strict: false, skipMismatch: true))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.path) && text.contains("dense/dense/kernel:0") && text.contains("int64"), text)
        }
    }

    /// Resuming from a checkpoint continues training to the same numbers as a run that was
    /// never interrupted: weights, Adam's moments, the step count and dropout's generator.
    func testResumeMatchesUninterruptedTraining() throws {
        let folder = try temporaryFolder(self)
        var data = RandomGenerator(seed: 11)
        let batches = try (0..<4).map { _ -> (Tensor, Tensor) in
            let x = try Tensor(shape: [4, 32, 32, 1], scalars: (0..<4 * 32 * 32).map { _ in data.nextUnit() })
            let y = try Tensor(shape: [4], scalars: (0..<4).map { Float($0 % 2) })
            return (x, y)
        }
        func makeRun() throws -> (SmallCNN, Adam) {
            let model = try BuildContext.run(seed: 5) { try SmallCNN(inputShape: [32, 32, 1], softmax: false) }
            model.setTraining(true)
            return (model, try Adam(learningRate: 1e-3))
        }
        func train(_ model: SmallCNN, _ optimizer: Adam, _ range: Range<Int>) throws {
            for index in range {
                model.zeroGradients()
                try SoftmaxCrossEntropy()(try model(batches[index].0), batches[index].1).backward()
                try optimizer.step(model.trainableParameters)
            }
        }
        let (reference, referenceOptimizer) = try makeRun()
        try train(reference, referenceOptimizer, 0..<4)

        let (first, firstOptimizer) = try makeRun()
        try train(first, firstOptimizer, 0..<2)
        let url = folder.appendingPathComponent("checkpoint.h5")
        let state = TrainingState(epoch: 1, scheduleStep: 2, randomStates: ["data": data.state], config: "{\"model\": \"small_cnn\"}")
        try Checkpoint.save(model: first, optimizer: firstOptimizer, training: state, to: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["checkpoint.h5"], "no temporary file left")

        let (resumed, resumedOptimizer) = try makeRun()
        let restored = try Checkpoint.load(into: resumed, optimizer: resumedOptimizer, from: url)
        XCTAssertEqual(restored, state)
        XCTAssertEqual(resumedOptimizer.iterations, 2)
        try train(resumed, resumedOptimizer, 2..<4)
        for ((path, a), (_, b)) in zip(reference.namedParameters, resumed.namedParameters) {
            XCTAssertEqual(a.value.scalars, b.value.scalars, path)
        }
        XCTAssertEqual(try inspectWeightFile(url).components(separatedBy: "\n")[0], "checkpoint.h5: \(KerasFileFormat.zooCheckpoint)")
    }

    /// Saving over a checkpoint replaces it whole; a failed save leaves the old one.
    func testSaveIsAtomic() throws {
        let folder = try temporaryFolder(self)
        let url = folder.appendingPathComponent("checkpoint.h5")
        let model = try BuildContext.run(seed: 5) { try SmallCNN(inputShape: [32, 32, 1]) }
        try Checkpoint.save(model: model, to: url)
        let before = try Data(contentsOf: url)
        // An optimizer whose state has a key that is not a valid HDF5 path fails mid-write.
        final class Broken: Optimizer {
            var learningRate: Float = 0
            var iterations = 0
            func step(_ parameters: [(path: String, parameter: Parameter)]) throws {}
            func stateDictionary() -> [String: Tensor] { ["ok": Tensor(1), "ok/bad": Tensor(2)] }
            func loadStateDictionary(_ state: [String: Tensor]) throws {}
        }
        XCTAssertThrowsError(try Checkpoint.save(model: model, optimizer: Broken(), to: url))
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["checkpoint.h5"])
        // A checkpoint loads strictly.
        let other = try BuildContext.run(seed: 6) { try SmallCNN(inputShape: [32, 32, 1], classes: 3) }
        XCTAssertThrowsError(try Checkpoint.load(into: other, from: url))
    }
}
