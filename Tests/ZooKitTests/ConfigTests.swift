import Foundation
import XCTest
import ZooCore

@testable import ZooKit

final class ConfigTests: FolderTestCase {
    func testExtendsMergesSectionsAndSetOverrides() throws {
        _ = try write("base.yaml", """
            seed: 7
            data:
              source: phantom
              phantom: {kind: lidc_nodules, count: 100}
              split: {method: stratified, train: 0.7}
            train:
              batch_size: 20
              epochs: 50
              optimizer: {name: adam, lr: 1e-3}
            """)
        let url = try write("lidc.yaml", """
            extends: base.yaml
            experiment: lidc
            model: {name: small_cnn, input_shape: [124, 124, 1]}
            train:
              epochs: 5
            """)
        let config = try ExperimentConfig.load(url, overrides: ["train.optimizer.lr=3e-4", "seed=9"])
        XCTAssertEqual(config.experiment, "lidc")
        XCTAssertEqual(config.seed, 9)
        XCTAssertEqual(config.train.epochs, 5)
        XCTAssertEqual(config.train.batchSize, 20)
        XCTAssertEqual(config.train.optimizer.learningRate, 3e-4)
        XCTAssertEqual(config.train.optimizer.name, .adam)
        XCTAssertEqual(config.data.split.train, 0.7)
        XCTAssertEqual(config.data.split.test, 0.3, accuracy: 1e-12)
        XCTAssertEqual(config.model.inputShape, [124, 124, 1])
        guard case .phantom(let kind, _, _, _)? = config.data.source else { return XCTFail("\(config.data.source)") }
        XCTAssertEqual(kind, .lidcNodules)
        // config.json keeps YAML's types: numbers as numbers, lists as lists (issue 13.10).
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try config.resolved.json.utf8)) as? [String: Any])
        let train = try XCTUnwrap(json["train"] as? [String: Any])
        XCTAssertEqual((train["optimizer"] as? [String: Any])?["lr"] as? Double, 3e-4)
        XCTAssertEqual(train["epochs"] as? Int, 5)
        XCTAssertEqual((json["model"] as? [String: Any])?["input_shape"] as? [Int], [124, 124, 1])
        XCTAssertEqual(json["experiment"] as? String, "lidc")
        // Read back, it is the same config.
        let reread = try ExperimentConfig(try ConfigValue.parse(yaml: try config.resolved.json, source: "config.json"), source: "config.json")
        XCTAssertEqual(try ConfigValue.differences(config.resolved, reread.resolved), [])
        XCTAssertEqual(reread.train.epochs, 5)
    }

    func testUnknownKeysWrongTypesAndNamesAreErrorsWithPaths() throws {
        func message(_ yaml: String, _ overrides: [String] = []) -> String {
            do {
                _ = try ExperimentConfig.load(try write("bad.yaml", yaml), overrides: overrides)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let typo = message("train:\n  epohcs: 3\n")
        XCTAssertTrue(typo.contains("train.epohcs: unknown key; did you mean epochs?"), typo)
        let type = message("train:\n  batch_size: many\n")
        XCTAssertTrue(type.contains("train.batch_size: 'many' is not an integer"), type)
        let source = message("data:\n  source: phantoms\n")
        XCTAssertTrue(source.contains("data.source: 'phantoms' is not one of") && source.contains("did you mean phantom"), source)
        let split = message("data:\n  split: {train: 0.9, test: 0.2}\n")
        XCTAssertTrue(split.contains("add up to 1"), split)
        let top = message("modle: {name: resnet50}\n")
        XCTAssertTrue(top.contains("modle: unknown key; did you mean model?"), top)
        let freeze = message("model:\n  freeze: {fraction: 1.5}\n")
        XCTAssertTrue(freeze.contains("model.freeze.fraction: must lie in 0...1"), freeze)
        let set = message("seed: 1\n", ["train.lr"])
        XCTAssertTrue(set.contains("is not KEY=VALUE"), set)
        let cycle = message("extends: bad.yaml\n")
        XCTAssertTrue(cycle.contains("cycle"), cycle)
        let sweep = message("sweep:\n  architectures: []\n")
        XCTAssertTrue(sweep.contains("sweep.architectures: a sweep needs"), sweep)
    }

    func testSweepEntriesCarryTheirOverrides() throws {
        let url = try write("sweep.yaml", """
            sweep:
              architectures:
                - resnet50
                - name: inceptionv3
                  set: {model.input_shape: [299, 299, 3], train.optimizer.lr: 1e-4}
            """)
        let sweep = try XCTUnwrap(try ExperimentConfig.load(url).sweep)
        XCTAssertEqual(sweep.architectures.map(\.name), ["resnet50", "inceptionv3"])
        XCTAssertEqual(sweep.architectures[1].overrides.map(\.path), [["model", "input_shape"], ["train", "optimizer", "lr"]])
    }
}
