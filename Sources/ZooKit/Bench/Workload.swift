import Foundation
import ZooCore

/// The benchmark workloads of `zoo bench` (bench/reference_workloads.py builds the same ones in
/// PyTorch and Keras under the same names): synthetic input, median seconds per step.
public struct Workload: Sendable, Equatable {
    public enum Kind: String, Sendable { case train, inference, loader }

    public var name: String
    public var kind: Kind
    /// A catalog name (nil for the loader).
    public var architecture: String?
    public var batch: Int
    /// Spatial size and channels.
    public var input: [Int]
    public var classes: Int
    /// A Keras model file (`.keras`, full-model `.h5`) measured in place of the catalog's
    /// architecture: what `zoo bench --model-file` compares an imported model with.
    public var modelFile: String? = nil

    /// W1-W6 of issue 9 and the loader.
    public static let all: [Workload] = [
        Workload(name: "w1_small_cnn_train", kind: .train, architecture: "small_cnn", batch: 20, input: [124, 124, 1], classes: 2),
        Workload(name: "w2_resnet18_train", kind: .train, architecture: "resnet18", batch: 8, input: [224, 224, 3], classes: 1000),
        Workload(name: "w3_resnet50_infer_b1", kind: .inference, architecture: "resnet50", batch: 1, input: [224, 224, 3], classes: 1000),
        Workload(name: "w3_resnet50_infer_b8", kind: .inference, architecture: "resnet50", batch: 8, input: [224, 224, 3], classes: 1000),
        Workload(name: "w4_resnet50_train", kind: .train, architecture: "resnet50", batch: 4, input: [224, 224, 3], classes: 1000),
        Workload(name: "w5_unet3d_train", kind: .train, architecture: "unet3d", batch: 1, input: [64, 64, 64, 1], classes: 2),
        Workload(name: "w6_densenet121_infer", kind: .inference, architecture: "densenet121", batch: 1, input: [224, 224, 3], classes: 1000),
        Workload(name: "w6_mobilenetv2_infer", kind: .inference, architecture: "mobilenetv2", batch: 1, input: [224, 224, 3], classes: 1000),
        Workload(name: "w6_inceptionv3_infer", kind: .inference, architecture: "inceptionv3", batch: 1, input: [299, 299, 3], classes: 1000),
        Workload(name: "loader", kind: .loader, architecture: nil, batch: 32, input: [112, 112, 3], classes: 2),
    ]

    public static var names: [String] { all.map(\.name) }

    /// The workload called `name`; an unknown name is an error listing the valid ones.
    public static func named(_ name: String) throws -> Workload {
        guard let workload = all.first(where: { $0.name == name }) else {
            throw RunError("unknown workload '\(name)'\(NameSuggestions.didYouMean(name, in: names)); the workloads are \(names.joined(separator: ", "))")
        }
        return workload
    }

    /// This workload run by the model in `file` instead of the catalog's architecture.
    public func with(modelFile file: String?) -> Workload {
        guard let file else { return self }
        var copy = self
        copy.modelFile = file
        copy.name += "@" + URL(fileURLWithPath: file).lastPathComponent
        return copy
    }

    /// This workload at another batch size or spatial size (the scaling tables).
    public func with(batch: Int? = nil, size: Int? = nil) -> Workload {
        var copy = self
        if let batch { copy.batch = batch }
        if let size { copy.input = input.dropLast().map { _ in size } + [input.last!] }
        if batch != nil || size != nil { copy.name = "\(name)@b\(copy.batch)s\(copy.input[0])" }
        return copy
    }
}
