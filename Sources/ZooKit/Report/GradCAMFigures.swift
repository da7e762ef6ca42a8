import Foundation
import ZooCore
import ZooData
import ZooExplain
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

    /// Writes the overlays; returns each file (relative to the run) with its caption.
    static func write(
        layers: [String], average: Bool = false, model: Model, variant: ArchitectureVariant, dataset: Dataset, indices: [Int],
        transform: SampleTransform, seed: UInt64, run: RunDirectory
    ) throws -> [(file: String, caption: String)] {
        guard !layers.isEmpty else { return [] }
        let folder = run.url.appendingPathComponent("gradcam")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let gradCAM = GradCAM(model: model, variant: variant)
        var figures = [(file: String, caption: String)]()
        for index in indices.prefix(samples) {
            var random = RandomGenerator(seed: seed)
            let sample = try transform.apply(try dataset.sample(at: index), random: &random)
            let maps = try layers.map { try gradCAM.explain(sample.image, layer: $0 == "last" ? nil : $0) }
            if average {
                // One map: the layers' maps (each up-sampled to the input) averaged.
                let heatmap = try GradCAM.average(maps)
                let name = "\(sample.id)-average.png".replacingOccurrences(of: "/", with: "_")
                try PNG.write(try HeatmapOverlay.overlay(image: sample.image, heatmap: heatmap), to: folder.appendingPathComponent(name))
                let names = maps.map(\.layer).joined(separator: ", ")
                figures.append(("gradcam/\(name)", "Grad-CAM of \(sample.id) averaged over \(names), class \(maps[0].classIndex)"))
                continue
            }
            for map in maps {
                let name = "\(sample.id)-\(map.layer).png".replacingOccurrences(of: "/", with: "_")
                try map.writeOverlay(on: sample.image, to: folder.appendingPathComponent(name))
                figures.append(("gradcam/\(name)", "Grad-CAM of \(sample.id) at \(map.layer), class \(map.classIndex)"))
            }
        }
        return figures
    }
}
