import Foundation
import PackagePlugin

/// `swift package new-architecture <Name>`: scaffolds an architecture family target (paper
/// header, variant table, block, assembly, variant list), its manifest, its test and a `zoo/`
/// config that trains as it is, and links the family into Package.swift (its target, its test
/// target, the catalog's dependency) at the manifest's `new-architecture` markers.
@main
struct NewArchitecture: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        guard let name = arguments.first(where: { !$0.hasPrefix("-") }),
            name.first?.isUppercase == true, name.allSatisfy({ $0.isLetter || $0.isNumber })
        else {
            throw ScaffoldError("usage: swift package --allow-writing-to-package-directory new-architecture <Name> (UpperCamelCase)")
        }
        let root = context.package.directoryURL
        let target = "Zoo\(name)"
        let variant = name.lowercased()
        let files: [(String, String)] = [
            ("Sources/\(target)/\(name).swift", architectureFile(name: name, variant: variant)),
            ("Sources/\(target)/Architectures.json", "{\"family\": \"\(name)Family\", \"variants\": [\"\(variant)\"]}\n"),
            ("Tests/\(target)Tests/\(name)Tests.swift", testFile(name: name, target: target, variant: variant)),
            ("zoo/\(variant).yaml", configFile(variant: variant)),
        ]
        for (path, _) in files where FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) {
            throw ScaffoldError("\(path) exists already; choose another name")
        }
        // Package.swift first: if its markers are missing, nothing is written.
        let manifestURL = root.appendingPathComponent("Package.swift")
        let manifest = try linking(
            target: target, into: try String(contentsOf: manifestURL, encoding: .utf8))
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            print("created \(path)")
        }
        try manifest.write(to: manifestURL, atomically: true, encoding: .utf8)
        print("""
            edited Package.swift: the target \(target), its test target \(target)Tests, and \(target) in the
            catalog's dependencies (ModelZoo). `swift build` now lists `\(variant)` in `zoo list`;
            `zoo train zoo/\(variant).yaml` trains it on phantom nodules as it is.
            """)
    }
}

/// The markers in Package.swift before which the scaffold inserts its lines.
enum ManifestMarker {
    static let families = "// new-architecture: family targets above this line."
    static let catalog = "// new-architecture: families above this line."
    static let tests = "// new-architecture: family test targets above this line."
}

/// `manifest` with the family's target, its test target and its place in the catalog's
/// dependencies, each inserted before its marker line with the marker's indentation.
func linking(target: String, into manifest: String) throws -> String {
    var lines = manifest.components(separatedBy: "\n")
    let insertions = [
        (ManifestMarker.families, ".target(name: \"\(target)\", dependencies: [\"ZooNN\"], exclude: [\"Architectures.json\"]),"),
        (ManifestMarker.catalog, "\"\(target)\","),
        (ManifestMarker.tests, ".testTarget(name: \"\(target)Tests\", dependencies: [\"\(target)\", \"ZooTestSupport\"]),"),
    ]
    for (marker, line) in insertions {
        guard let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == marker }) else {
            throw ScaffoldError("Package.swift has no line '\(marker)'; add the line back where the family targets end")
        }
        let indentation = String(lines[index].prefix { $0 == " " })
        lines.insert(indentation + line, at: index)
    }
    return lines.joined(separator: "\n")
}

struct ScaffoldError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func architectureFile(name: String, variant: String) -> String {
    """
    // \(name): replace with the paper's title (authors, arXiv id), and note every deliberate
    // deviation from the reference implementation here.
    //
    // Scaffolded by `swift package new-architecture`: a plain network of convolution stages
    // that builds, trains and passes its tests as it is. Edit the stage table, the block and
    // the assembly to the paper's design; keep layer names equal to the reference framework's
    // so that its weight files load by name.
    import ZooCore
    import ZooNN
    import ZooTensor

    // MARK: - Stage table

    /// One stage: how many blocks and their filters. A variant is a list of stages.
    public struct \(name)Stage: Sendable {
        public let blocks: Int
        public let filters: Int
    }

    // MARK: - Block

    /// Convolution, batch normalization, ReLU: `<prefix>_conv`, `<prefix>_bn`, `<prefix>_relu`.
    func convolutionBlock(_ x: SymbolicTensor, prefix: String, filters: Int) throws -> SymbolicTensor {
        let y = try Conv2D(filters: filters, kernelSize: [3], inputChannels: x.channels, padding: .same, name: "\\(prefix)_conv")(x)
        return try Activation(.relu, name: "\\(prefix)_relu")(BatchNormalization(channels: filters, name: "\\(prefix)_bn")(y))
    }

    // MARK: - Assembly

    /// The network: stages of blocks, each stage ending in a 2x2 max pooling, then the top the
    /// options choose (`avg_pool` and `predictions` by default).
    public struct \(name): ApplicationNetwork {
        public let stages: [\(name)Stage]

        public func modelName(inputShape: [Int]) -> String { "\(variant)" }

        public func features(_ input: SymbolicTensor) throws -> SymbolicTensor {
            var y = input
            for (s, stage) in stages.enumerated() {
                for b in 0..<stage.blocks {
                    y = try convolutionBlock(y, prefix: "stage\\(s + 1)_block\\(b + 1)", filters: stage.filters)
                }
                y = try MaxPooling2D(name: "stage\\(s + 1)_pool")(y)
            }
            return y
        }
    }

    // MARK: - Variants

    public enum \(name)Family: ArchitectureFamily {
        static let table = [\(name)Stage(blocks: 1, filters: 16), \(name)Stage(blocks: 2, filters: 32)]

        /// Counts: 3x3 convolutions 3->16, 16->32, 32->32 with biases and batch norm, and a
        /// 1000-class classifier. Replace them with the reference framework's numbers.
        public static let \(variant): ArchitectureVariant = ArchitectureVariant(
            name: "\(variant)", family: "\(name)", reference: "the paper (authors, arXiv id)",
            defaultInput: [64, 64, 3], minimumInput: [4, 4], preprocessing: .none,
            parameterCount: 448 + 64 + 4_640 + 128 + 9_248 + 128 + 33_000, trainableParameterCount: 448 + 32 + 4_640 + 64 + 9_248 + 64 + 33_000,
            firstConvolution: "stage1_block1_conv", lastConvolution: "stage2_block2_relu", classifier: "predictions",
            source: "this package"
        ) { options in try ApplicationModel(\(name)(stages: table), variant: \(variant), options: options) }

        public static var variants: [ArchitectureVariant] { [\(variant)] }
    }

    """
}

func testFile(name: String, target: String, variant: String) -> String {
    """
    import XCTest
    import ZooCore
    import ZooNN
    import ZooTensor

    @testable import \(target)

    final class \(name)Tests: XCTestCase {
        func testParameterCountsMatchTheMetadata() throws {
            let model = try \(name)Family.\(variant).make()
            XCTAssertEqual(model.parameterCounts.total, \(name)Family.\(variant).parameterCount)
            XCTAssertEqual(model.parameterCounts.trainable, \(name)Family.\(variant).trainableParameterCount)
        }

        func testForwardAndBackwardAtTheMinimumInput() throws {
            let model = try \(name)Family.\(variant).make(ArchitectureOptions(classes: 3, inputShape: [4, 4, 3]))
            model.setTraining(true)
            let y = try model(Tensor(repeating: 0.5, shape: [2, 4, 4, 3]))
            XCTAssertEqual(y.shape, [2, 3])
            try y.sum().backward()
            XCTAssertTrue(model.trainableParameters.allSatisfy { $0.parameter.value.grad != nil })
        }
    }

    """
}

func configFile(variant: String) -> String {
    """
    # \(variant): a starting experiment for the new architecture, on phantom LIDC-style nodule
    # patches so that it trains as it is (`zoo train zoo/\(variant).yaml`). For a study, copy
    # the data, train and eval sections of the experiment it belongs to (zoo/lidc/lidc.yaml).
    experiment: \(variant)
    seed: 1
    data:
      source: phantom
      phantom: {kind: lidc_nodules, count: 120, size: 64}
      split: {method: stratified, train: 0.7, validation: 0.15, test: 0.15}
      preprocessing: none
      transforms:
        eval:
          - {name: scale, factor: 0.00392157}   # [0, 1] intensities
    model:
      name: \(variant)
      input_shape: [64, 64, 1]
    train:
      optimizer: {name: adam, lr: 1e-3}
      batch_size: 16
      epochs: 3

    """
}
