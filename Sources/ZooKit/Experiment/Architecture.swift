import Foundation
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
