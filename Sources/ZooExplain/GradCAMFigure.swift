import Foundation
import ZooCore
import ZooData
import ZooPlots

/// A Grad-CAM figure as a paper shows one: the image, the map over it and the map alone with its
/// colour bar, side by side at a readable size, under a title that names the true class, the
/// predicted class with its probability and the layer. Volumes show three orthogonal slices
/// through the map's maximum.
public enum GradCAMFigure {
    /// The smallest panel side, in figure units (an image larger than this keeps its own size).
    public static let minimumPanel = 256

    /// The figure of `map` over `image` (the explained input, HWC or DHWC). `title` is its first
    /// line (classes, probability); the layer goes in the second.
    public static func make(image: ImageArray, map: GradCAMMap, title: String, colormap: Colormap = .viridis, alpha: Float = 0.4) throws -> Figure {
        let overlay = try map.overlay(on: image, colormap: colormap, alpha: alpha)
        let gray = HeatmapOverlay.grayLevels(image).map { $0 * 255 }
        let original = ImageArray(shape: image.spatialShape + [3], values: gray.flatMap { [$0, $0, $0] })
        let heat = try HeatmapOverlay.colorize(ImageArray(shape: image.spatialShape + [1], values: try HeatmapOverlay.heatValues(map.heatmap, on: image)), colormap: colormap)
        var panels = [original, overlay, heat]
        var sliceNote = ""
        if image.isVolume {
            // Through the hottest voxel, so that the slices show what the model looked at.
            let values = map.heatmap.values
            let peak = values.indices.max { values[$0] < values[$1] } ?? 0
            let (h, w) = (map.heatmap.shape[1], map.heatmap.shape[2])
            let center = [peak / (h * w), (peak / w) % h, peak % w]
            panels = try panels.map { try HeatmapOverlay.montage($0, center: center) }
            sliceNote = "; axial, coronal and sagittal slices through the maximum at voxel (\(center.map(String.init).joined(separator: ", ")))"
        }
        let (rows, cols) = (Double(panels[0].shape[0]), Double(panels[0].shape[1]))
        let scale = Swift.max(Double(minimumPanel) / Swift.max(rows, cols), 1)
        let (panelWidth, panelHeight) = (cols * scale, rows * scale)
        let (margin, gap, top, bar) = (16.0, 12.0, 58.0, 14.0)
        let width = margin + 3 * panelWidth + 2 * gap + 10 + bar + 44
        let height = top + panelHeight + 30
        var figure = Figure(width: Int(width.rounded(.up)), height: Int(height.rounded(.up)))
        figure.add(.text(x: margin, y: 22, string: title, size: 15, anchor: "start", vertical: false, fill: "#222222", role: "title"))
        figure.add(.text(
            x: margin, y: 42, string: "\(map.method == .gradcam ? "Grad-CAM" : "Grad-CAM++") at \(map.layer), class \(map.classIndex), from \(map.scoreSource == .logit ? "its logit" : "the model's output")\(sliceNote)",
            size: 12, anchor: "start", vertical: false, fill: "#555555", role: "subtitle"))
        for (index, (panel, caption)) in zip(panels, ["image", "Grad-CAM over the image", "Grad-CAM"]).enumerated() {
            let x = margin + Double(index) * (panelWidth + gap)
            figure.add(.image(x: x, y: top, width: panelWidth, height: panelHeight, pixels: panel, role: "panel"))
            figure.add(.text(x: x + panelWidth / 2, y: top + panelHeight + 18, string: caption, size: 12, anchor: "middle", vertical: false, fill: "#222222", role: "caption"))
        }
        // The colour bar: the map's values from 0 (bottom) to 1 (top).
        let barX = margin + 3 * panelWidth + 2 * gap + 10
        let steps = 64
        for step in 0..<steps {
            let value = Float(step) / Float(steps - 1)
            let y = top + panelHeight * (1 - Double(step + 1) / Double(steps))
            figure.add(.rect(x: barX, y: y, width: bar, height: panelHeight / Double(steps) + 0.5, fill: colormap.hex(value), stroke: nil, role: "colorbar"))
        }
        figure.add(.rect(x: barX, y: top, width: bar, height: panelHeight, fill: "none", stroke: "#222222", role: "colorbar-frame"))
        for (value, y) in [("1", top + 10), ("0", top + panelHeight)] {
            figure.add(.text(x: barX + bar + 4, y: y, string: value, size: 11, anchor: "start", vertical: false, fill: "#222222", role: "colorbar-label"))
        }
        return figure
    }

    /// Writes `base.svg`, the figure of `map` over `image`, and `base.png`, the overlay alone (a
    /// volume's as its mid-slice montage).
    public static func write(_ map: GradCAMMap, on image: ImageArray, title: String, to base: URL, colormap: Colormap = .viridis) throws {
        try map.writeOverlay(on: image, to: base.appendingPathExtension("png"), colormap: colormap)
        try make(image: image, map: map, title: title, colormap: colormap).writeSVG(to: base.appendingPathExtension("svg"))
    }

    /// Class `index`'s name in `names`, or `class <index>` when there is none.
    public static func className(_ index: Int, in names: [String]) -> String {
        names.indices.contains(index) ? names[index] : "class \(index)"
    }

    /// The title line: the true class (when known), the predicted class and its probability.
    public static func title(sample: String, trueClass: String?, predictedClass: String, probability: Double?) -> String {
        var parts = [sample]
        if let trueClass { parts.append("true: \(trueClass)") }
        parts.append("predicted: \(predictedClass)" + (probability.map { String(format: " (p = %.3f)", $0) } ?? ""))
        return parts.joined(separator: " · ")
    }
}

extension GradCAMMap {
    /// The softmax of the model's outputs (logits, as Zoo's models end) at the explained class.
    public var probability: Double {
        let peak = outputs.max() ?? 0
        let exponentials = outputs.map { Foundation.exp(Double($0 - peak)) }
        return exponentials.indices.contains(classIndex) ? exponentials[classIndex] / exponentials.reduce(0, +) : .nan
    }

    /// This map with another heat-map under another name (the mean of several layers' maps).
    public func replacing(heatmap: ImageArray, layer: String) -> GradCAMMap {
        GradCAMMap(
            layer: layer, classIndex: classIndex, method: method, score: score, scoreSource: scoreSource, outputs: outputs, channelWeights: [],
            coarse: heatmap, heatmap: heatmap)
    }
}
