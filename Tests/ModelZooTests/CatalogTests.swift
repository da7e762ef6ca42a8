import XCTest
import ZooCore
import ZooNN
import ZooTensor

@testable import ModelZoo

/// One walk over every registered variant: metadata against the built model, a forward and a
/// backward pass at the minimum input, unique and well-formed parameter paths.
final class CatalogTests: XCTestCase {
    func testNamesAreUniqueAndLookupsWork() throws {
        let names = ModelZoo.variants.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "duplicate names in \(names)")
        XCTAssertEqual(try ModelZoo.variant("small_cnn").family, "SmallCNN")
        XCTAssertEqual(ModelZoo.list(matching: "small*").map(\.name), ["small_cnn"])
        XCTAssertTrue(ModelZoo.list(matching: "nothing*").isEmpty)
        XCTAssertThrowsError(try ModelZoo.variant("smal_cnn")) { error in
            XCTAssertTrue("\(error)".contains("did you mean small_cnn"), "\(error)")
        }
        XCTAssertTrue(glob("resnet*", matches: "resnet152"))
        XCTAssertFalse(glob("resnet?", matches: "resnet18"))
        XCTAssertEqual(NameSuggestions.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(NameSuggestions.editDistance("", "abc"), 3)
        // One suggestion rule for every unknown name: near in edit distance, or extending it; case ignored.
        XCTAssertEqual(NameSuggestions.nearest(to: "ResNet5", in: ["resnet50", "resnet101", "vgg16"]), ["resnet50"])
        XCTAssertEqual(NameSuggestions.nearest(to: "resnet", in: ["resnet50", "resnet101", "vgg16"]), ["resnet50", "resnet101"])
        XCTAssertEqual(NameSuggestions.nearest(to: "conv5_block3_out", in: ["conv5_block3", "conv4_block3_out", "dense"], limit: 1), ["conv4_block3_out"])
        XCTAssertEqual(NameSuggestions.didYouMean("epohcs", in: ["epochs", "eval"]), "; did you mean epochs?")
        XCTAssertEqual(NameSuggestions.didYouMean("zzz", in: ["epochs"]), "")
        print(ModelZoo.table())
    }

    func testEveryVariantMatchesItsMetadata() throws {
        for variant in ModelZoo.variants {
            let model = try BuildContext.run(seed: 1) { try variant.make(ArchitectureOptions(classes: variant.defaultClasses)) }
            let counts = model.parameterCounts
            XCTAssertEqual(counts.total, variant.parameterCount, "\(variant.name) total")
            XCTAssertEqual(counts.trainable, variant.trainableParameterCount, "\(variant.name) trainable")
            let paths = model.namedParameters.map(\.path)
            XCTAssertEqual(Set(paths).count, paths.count, "\(variant.name) has repeated parameter paths")
            XCTAssertTrue(paths.allSatisfy { $0.range(of: #"^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)+$"#, options: .regularExpression) != nil }, "\(variant.name) paths")
            let layerNames = Set(model.layers.map(\.name))
            for name in [variant.firstConvolution, variant.lastConvolution] + (variant.task == .classification ? [variant.classifier] : []) {
                XCTAssertTrue(layerNames.contains(name), "\(variant.name) has no layer \(name)")
            }
        }
    }

    func testEveryVariantRunsForwardAndBackwardAtItsMinimumInput() throws {
        for variant in ModelZoo.variants {
            let channels = variant.defaultInput.last!
            let input = variant.minimumInput.prefix(variant.defaultInput.count - 1) + [channels]
            let model = try BuildContext.run(seed: 2) {
                try variant.make(ArchitectureOptions(classes: 3, inputShape: Array(input), classifierActivation: .linear))
            }
            model.setTraining(true)
            var random = RandomGenerator(seed: 3)
            let x = Tensor.randomUniform([2] + Array(input), low: -1, high: 1, using: &random)
            let y = try model(x)
            switch variant.task {
            case .classification: XCTAssertEqual(y.shape, [2, 3], variant.name)
            case .segmentation: XCTAssertEqual(y.shape, [2] + Array(input.dropLast()) + [3], variant.name)
            }
            try y.pow(2).mean().backward()
            let missing = model.trainableParameters.filter { $0.parameter.value.grad == nil }.map(\.path)
            XCTAssertEqual(missing, [], "\(variant.name): parameters without a gradient")
        }
    }

    func testTooSmallInputsAndUnknownNamesAreClearErrors() {
        for variant in ModelZoo.variants {
            let tooSmall = variant.minimumInput.map { $0 - 1 } + [variant.defaultInput.last!]
            XCTAssertThrowsError(try variant.make(ArchitectureOptions(inputShape: tooSmall))) { error in
                XCTAssertTrue("\(error)".contains(variant.name) && "\(error)".contains("minimum"), "\(error)")
            }
        }
        XCTAssertThrowsError(try ModelZoo.make("resnet9000"))
    }
}
