import Foundation
import ZooCore
import ZooData
import ZooExplain
import ZooPlots
import ZooNN
import ZooTensor

/// The Grad-CAM overlays a run writes for `eval.gradcam`: for each named layer, the first test
/// samples through the evaluation pipeline, each map over its image, in `<run>/gradcam/`.
/// `last` names the architecture's last convolutional layer (what a sweep over backbones with
/// different layer names asks for).
enum GradCAMFigures {
    static let samples = 4

    /// Fails before training when a layer name does not exist in the model.
    static func check(_ layers: [String], model: Model, task: ArchitectureTask) throws {
        guard !layers.isEmpty else { return }
        guard task == .classification else { throw RunError("eval.gradcam explains classifiers; this model segments") }
        for layer in layers where layer != "last" {
            do { _ = try LayerLookup.layer(layer, in: model) } catch { throw RunError("eval.gradcam: \(error)") }
        }
    }

    /// Writes, for each of the first test samples and each layer, the figure (`<id>-<layer>.svg`:
    /// image, overlay and map with its colour bar, titled with the true and predicted classes and
    /// the probability) and the overlay alone (`.png`); returns each figure (relative to the run)
    /// with its caption. `last` (or nil) is Grad-CAM's default layer: the last one whose map is at
    /// least 7x7 at the run's input.
    static func write(
        layers: [String], average: Bool = false, colormap: Colormap = .viridis, method: GradCAMMethod = .gradcam, model: Model,
        dataset: Dataset, indices: [Int],
        transform: SampleTransform, seed: UInt64, run: RunDirectory
    ) throws -> [(file: String, caption: String)] {
        guard !layers.isEmpty else { return [] }
        let folder = run.url.appendingPathComponent("gradcam")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let gradCAM = GradCAM(model: model)
        let names = dataset.classNames
        var figures = [(file: String, caption: String)]()
        for index in indices.prefix(samples) {
            var random = RandomGenerator(seed: seed)
            let sample = try transform.apply(try dataset.sample(at: index), random: &random)
            let maps = try layers.map { try gradCAM.explain(sample.image, layer: $0 == "last" ? nil : $0, method: method) }
            let stem = sample.id.replacingOccurrences(of: "/", with: "_")
            func title(_ map: GradCAMMap) -> String {
                GradCAMFigure.title(
                    sample: sample.id, trueClass: sample.label.map { GradCAMFigure.className($0, in: names) },
                    predictedClass: GradCAMFigure.className(map.classIndex, in: names), probability: map.probability)
            }
            if average {
                // One map: the layers' maps (each up-sampled to the input) averaged.
                let layerNames = maps.map(\.layer).joined(separator: ", ")
                let averaged = maps[0].replacing(heatmap: try GradCAM.average(maps), layer: "the mean of \(layerNames)")
                try GradCAMFigure.write(averaged, on: sample.image, title: title(maps[0]), to: folder.appendingPathComponent("\(stem)-average"), colormap: colormap)
                figures.append(("gradcam/\(stem)-average.svg", "Grad-CAM of \(sample.id) averaged over \(layerNames)"))
                continue
            }
            for map in maps {
                try GradCAMFigure.write(map, on: sample.image, title: title(map), to: folder.appendingPathComponent("\(stem)-\(map.layer)"), colormap: colormap)
                figures.append(("gradcam/\(stem)-\(map.layer).svg", "Grad-CAM of \(sample.id) at \(map.layer)"))
            }
        }
        return figures
    }
}
