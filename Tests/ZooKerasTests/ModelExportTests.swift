import Foundation
import XCTest
import ZooCore
import ZooHDF5
import ZooKeras
import ZooNN
import ZooTensor
import ZooTestSupport
import ZooUNet

@testable import ModelZoo

/// Whole-model export: every catalog architecture (and a custom head, and imported Keras
/// models) written as a `.keras` archive and a full-model `.h5`, read back by Zoo's importer
/// with the same outputs. With `ZOO_EXPORT_DIR` set (the test command sets it), the files go
/// there with their input and Zoo's output, and scripts/keras-checks.sh has Keras's
/// `keras.saving.load_model` predict the same within 1e-5 (Tests/Fixtures/keras_model_check.py).
final class ModelExportTests: XCTestCase {
    /// Weights that make every layer matter: kernels of He's variance (2 / fan-in, so the
    /// signal neither dies nor explodes through a deep ReLU network), moving statistics and
    /// scales away from 0 and 1.
    static func fill(_ model: Module) {
        var random = RandomGenerator(seed: 11)
        for parameter in model.namedParameters.map(\.parameter) {
            // A depthwise kernel (h, w, in, multiplier) sums over its window only.
            let summed = parameter.name == "depthwise_kernel" ? parameter.value.shape.dropLast(2) : parameter.value.shape.dropLast()
            let fanIn = Double(max(1, summed.reduce(1, *)))
            let bound = (6 / fanIn).squareRoot()
            parameter.value.withUnsafeMutableBufferPointer { buffer in
                for j in 0..<buffer.count {
                    let s = Double(random.nextUniform(-1, 1))
                    switch parameter.name {
                    case "kernel", "depthwise_kernel", "pointwise_kernel": buffer[j] = Float(s * bound)
                    case "moving_mean": buffer[j] = Float(0.05 * s)
                    case "moving_variance": buffer[j] = Float(0.85 + 0.45 * s * s)
                    case "gamma": buffer[j] = Float(1 + 0.1 * s)
                    default: buffer[j] = Float(0.01 * s)
                    }
                }
            }
        }
    }

    /// Sets every batch normalization's moving statistics to those of `x` (one training-mode
    /// pass with momentum 0), each variance raised by the layer's mean variance, so
    /// that each scales its input to about unit size in inference: the signal keeps its scale through any depth (ReLU6 does
    /// not clip it flat), the output depends on the input, and no near-zero variance of a
    /// two-sample batch magnifies rounding.
    static func calibrate(_ model: Model, on x: Tensor) throws {
        let norms = model.layers.compactMap { $0 as? BatchNormalization }
        let momenta = norms.map(\.momentum)
        for norm in norms { norm.momentum = 0 }
        model.setTraining(true)
        _ = try withoutGrad { try model(x) }
        model.setTraining(false)
        for (norm, momentum) in zip(norms, momenta) {
            norm.momentum = momentum
            norm.movingVariance.value.withUnsafeMutableBufferPointer { variance in
                let floor = variance.reduce(0, +) / Float(max(variance.count, 1)) + 1e-3
                for index in variance.indices { variance[index] += floor }
            }
        }
    }

    /// Exports `model` in both formats, imports each back, and compares outputs; leaves the
    /// files for Keras's check when the test command asks for them.
    func assertRoundTrip(_ model: Model, inputShape: [Int], name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = images([2] + inputShape)
        try Self.calibrate(model, on: x)
        let expected = try withoutGrad { try model(x) }
        // The two samples' outputs must differ: an output that ignores the input would pass
        // any comparison.
        let half = expected.scalars.count / 2
        let spread = zip(expected.scalars[..<half], expected.scalars[half...]).map { abs($0 - $1) }.max() ?? 0
        let scale = expected.scalars.map(abs).max() ?? 0
        XCTAssertGreaterThan(spread, 1e-3 * max(scale, 1e-3), "\(name): the output does not depend on the input", file: file, line: line)
        let folder = try temporaryFolder(self)
        let exportFolder = ProcessInfo.processInfo.environment["ZOO_EXPORT_DIR"].map { URL(fileURLWithPath: $0) }
        for format in [KerasModelExport.Format.keras, .h5] {
            let url = folder.appendingPathComponent("\(name).zoo-model.\(format == .keras ? "keras" : "h5")")
            try KerasModelExport.save(model, to: url, format: format)
            let (imported, report) = try KerasModelImport.load(url)
            XCTAssertTrue(report.missing.isEmpty && report.unexpected.isEmpty, "\(name) \(format): \(report)", file: file, line: line)
            let output = try withoutGrad { try imported(x) }
            XCTAssertEqual(output.shape, expected.shape, file: file, line: line)
            let difference = zip(output.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
            // Two graphs of the same weights need not fuse the same layers into a convolution's
            // output pass, so a shape can be planned apart and run on another of the per-shape
            // algorithms; Winograd's F(4x4, 3x3) rounds about ten times a direct sum
            // (WinogradTests). A CI run saw 1.5e-6 against the former bound of 1e-6.
            let scale = max(1, expected.scalars.map(abs).max() ?? 1)
            XCTAssertLessThanOrEqual(difference, 1e-5 * scale, "\(name) \(format): Zoo's import of Zoo's export", file: file, line: line)
            if let exportFolder {
                try FileManager.default.copyItem(at: url, to: exportFolder.appendingPathComponent(url.lastPathComponent))
            }
        }
        if let exportFolder {
            try writeNumpy(x, to: exportFolder.appendingPathComponent("\(name).zoo-model.input.npy"))
            try writeNumpy(expected, to: exportFolder.appendingPathComponent("\(name).zoo-model.output.npy"))
        }
    }

    /// Every variant of the catalog, three classes, logits; images at 64x64 or the minimum
    /// if larger (at 32x32 MobileNetV2's last maps are 1x1 and two samples come out alike),
    /// volumes at the minimum.
    func testEveryCatalogArchitectureRoundTrips() throws {
        for variant in ModelZoo.variants {
            let spatial = variant.minimumInput.count == 2 ? variant.minimumInput.map { max($0, 64) } : variant.minimumInput
            let input = spatial + [variant.defaultInput.last ?? 3]
            let options = ArchitectureOptions(classes: 3, inputShape: input, classifierActivation: .linear)
            let model = try BuildContext.run(seed: 1) { try variant.make(options) }
            Self.fill(model)
            try assertRoundTrip(model, inputShape: input, name: variant.name)
        }
    }

    /// A backbone without its top under a custom head (the CT paper's form).
    func testACustomHeadRoundTrips() throws {
        let head = try HeadSpec(parsing: ["global_average_pooling", "dense 16 relu", "dropout 0.5", "dense 2"])
        let options = ArchitectureOptions(includeTop: false, inputShape: [32, 32, 3], head: head)
        let model = try BuildContext.run(seed: 1) { try ModelZoo.variant("resnet50").make(options) }
        Self.fill(model)
        try assertRoundTrip(model, inputShape: [32, 32, 3], name: "resnet50_head")
    }

    /// Keras's own files, imported and written again: a Sequential model and a backbone nested
    /// under a head.
    func testImportedKerasModelsRoundTrip() throws {
        for fixture in ["small_cnn", "nested"] {
            let url = try fixtureFile("keras_weight_files", "\(fixture).keras", generator: "Tests/Fixtures/keras_weight_files.py")
            let (model, _) = try KerasModelImport.load(url)
            let shape = try XCTUnwrap(model.graph?.inputShapes.first).map { $0 ?? 16 }
            try assertRoundTrip(model, inputShape: shape, name: "imported_\(fixture)")
        }
    }

    /// What cannot be written says which layer and why.
    func testWhatKerasCannotHoldIsAnErrorNamingTheLayer() throws {
        let model = try UNet(spatialDims: 3, features: [2, 4], decoder: .upSampling, inputShape: [4, 4, 4, 1])
        let trilinear = try Input(shape: [2, 2, 2, 1])
        let up = try Model(inputs: trilinear, outputs: UpSampling(size: [2, 2, 2], interpolation: .linear, name: "up")(trilinear), name: "m")
        XCTAssertNoThrow(try KerasModelExport.configuration(model))
        XCTAssertThrowsError(try KerasModelExport.configuration(up)) { error in
            XCTAssertTrue("\(error)".contains("layer 'up'") && "\(error)".contains("trilinear"), "\(error)")
        }
        XCTAssertThrowsError(try KerasModelExport.configuration(Sequential(name: "plain", [Dense(units: 1, inputFeatures: 1)]))) { error in
            XCTAssertTrue("\(error)".contains("'plain'") && "\(error)".contains("no functional graph"), "\(error)")
        }
    }
}
