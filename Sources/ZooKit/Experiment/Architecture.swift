import Foundation
import ZooCore
import ModelZoo
import ZooKeras
import ZooNN

extension ExperimentConfig {
    /// The architecture the model section names: the catalog's `model.name`, or the model file
    /// of `model.from` (rebuilt as the file describes it, its top kept or replaced from
    /// `model.head_from` on).
    public func architecture() throws -> ArchitectureVariant {
        guard let from = model.from else { return try ModelZoo.variant(model.name) }
        return try ImportedModel.variant(resolvedPath(from), headFrom: model.headFrom)
    }

    /// A path of the config (model files, weights), resolved against the config's folder.
    public func resolvedPath(_ path: String) -> URL {
        (baseDirectory.map { URL(fileURLWithPath: path, relativeTo: $0) } ?? URL(fileURLWithPath: path)).standardizedFileURL
    }
}

extension ExperimentConfig {
    /// The config with its model section replaced by the model file `url` (its top kept, its
    /// input shape kept when the config sets one), for `zoo eval MODEL --config`: the data,
    /// split, pipeline and evaluation are the config's; a sweep, ensemble, stages, cross-
    /// validation, readers and clinical model are left out (one model is evaluated).
    public func evaluating(modelFile url: URL, threshold: String? = nil) throws -> ExperimentConfig {
        var model = ConfigValue.map([("from", .scalar(url.standardizedFileURL.path))])
        if let shape = resolved["model"]?["input_shape"] { model = model.setting(["input_shape"], to: shape) }
        var document = resolved.setting(["model"], to: model)
        for key in ["sweep", "ensemble", "stages", "cross_validation", "readers", "clinical"] { document = document.removing(key) }
        if let threshold { document = document.setting(["eval", "threshold"], to: .scalar(threshold)) }
        var config = try ExperimentConfig(document, source: "zoo eval (\(experiment), model \(url.lastPathComponent))")
        config.baseDirectory = baseDirectory
        return config
    }
}

extension ExperimentConfig {
    /// `zoo eval MODEL --data PATH`: the model file on every image of a folder of class
    /// subfolders or a CSV (`path` and `label` columns), prepared as `pipeline` says (Pillow's
    /// resize to the model's input, the preprocessing), at the fixed `threshold` (no validation
    /// part to choose one on). Classes are the folder's subfolders or the CSV's labels, sorted.
    public static func evaluating(modelFile url: URL, data: URL, pipeline: FileModelPipeline, threshold: String = "0.5") throws -> ExperimentConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data.path, isDirectory: &isDirectory) else {
            throw RunError("--data \(data.path): no such folder or CSV")
        }
        let source = isDirectory.boolValue ? "folder" : "csv"
        guard source == "folder" || data.pathExtension.lowercased() == "csv" else {
            throw RunError("--data \(data.path): a folder of class subfolders or a CSV with path and label columns")
        }
        var transforms = [ConfigValue]()
        let preprocessing: String
        switch pipeline.preprocessing {
        case .mode(let mode): preprocessing = mode.rawValue
        case .rescale(let scale, let offset):
            preprocessing = "none"
            transforms.append(.map([("name", .scalar("scale")), ("factor", .scalar("\(scale)")), ("offset", .scalar("\(offset)"))]))
        }
        if pipeline.size != nil || pipeline.channels != nil || pipeline.classes != nil || pipeline.tabular != nil {
            throw RunError("--data: the images are resized to the model's input and given its channels; --size, --channels, --classes and --tabular are for zoo predict")
        }
        let document = ConfigValue.map([
            ("experiment", .scalar("eval")),
            ("data", .map([
                ("source", .scalar(source)),
                (source, .map([("path", .scalar(data.standardizedFileURL.path))])),
                ("split", .map([("method", .scalar("random")), ("train", .scalar("0")), ("validation", .scalar("0")), ("test", .scalar("1"))])),
                ("preprocessing", .scalar(preprocessing)),
                ("interpolation", .scalar("pillow_\(pipeline.interpolation.rawValue)")),
                ("transforms", .map([("eval", .list(transforms))])),
            ])),
            ("model", .map([("from", .scalar(url.standardizedFileURL.path))])),
            ("eval", .map([("threshold", .scalar(threshold))])),
        ])
        return try ExperimentConfig(document, source: "zoo eval (model \(url.lastPathComponent), data \(data.lastPathComponent))")
    }
}
