import ZooCore
import Foundation
import ZooData

/// Heat-map pictures: colour-mapped maps alpha-blended on the grayscale input, and for volumes
/// a montage of three orthogonal slices. Results are 8-bit RGB `ImageArray`s (values 0-255)
/// that ZooData's PNG writer encodes.
public enum HeatmapOverlay {
    /// The input as gray levels in [0, 1]: the mean over channels, stretched from its minimum
    /// to its maximum (a constant image is mid-gray).
    static func grayLevels(_ image: ImageArray) -> [Float] {
        let channels = image.channels
        var gray = [Float](repeating: 0, count: image.voxelCount)
        for i in 0..<gray.count {
            var sum: Float = 0
            for c in 0..<channels { sum += image.values[i * channels + c] }
            gray[i] = sum / Float(channels)
        }
        let (low, high) = (gray.min() ?? 0, gray.max() ?? 0)
        return high > low ? gray.map { ($0 - low) / (high - low) } : [Float](repeating: 0.5, count: gray.count)
    }

    /// The heat-map's values on the image's grid: resized (bilinear/trilinear) when the spatial
    /// shapes differ; an error when the ranks differ or the map has several channels.
    static func heatValues(_ heatmap: ImageArray, on image: ImageArray) throws -> [Float] {
        guard heatmap.channels == 1 else {
            throw ExplainError.invalidInput(what: "overlay", reason: "the heat-map must have one channel, got shape \(heatmap.shape)")
        }
        guard heatmap.spatialRank == image.spatialRank else {
            throw ExplainError.invalidInput(
                what: "overlay", reason: "heat-map \(heatmap.shape) and image \(image.shape) differ in dimensionality")
        }
        if heatmap.spatialShape == image.spatialShape { return heatmap.values }
        return try Resample.linear(heatmap.values, shape: heatmap.spatialShape, to: image.spatialShape)
    }

    /// `heatmap` (values in [0, 1], one channel) in `colormap` over the grayscale `image`:
    /// `(1 - alpha) * gray + alpha * colour`, as an RGB image with values 0-255. Works for images
    /// (HWC) and volumes (DHWC).
    public static func overlay(
        image: ImageArray, heatmap: ImageArray, colormap: Colormap = .jet, alpha: Float = 0.4
    ) throws -> ImageArray {
        guard alpha >= 0, alpha <= 1 else {
            throw ExplainError.invalidInput(what: "overlay", reason: "alpha must lie in [0, 1], got \(alpha)")
        }
        let gray = grayLevels(image)
        let heat = try heatValues(heatmap, on: image)
        var rgb = [Float](repeating: 0, count: gray.count * 3)
        for i in 0..<gray.count {
            let c = colormap.color(heat[i])
            rgb[3 * i] = 255 * ((1 - alpha) * gray[i] + alpha * c.red)
            rgb[3 * i + 1] = 255 * ((1 - alpha) * gray[i] + alpha * c.green)
            rgb[3 * i + 2] = 255 * ((1 - alpha) * gray[i] + alpha * c.blue)
        }
        return ImageArray(shape: image.spatialShape + [3], values: rgb)
    }

    /// The heat-map alone in `colormap`, RGB 0-255.
    public static func colorize(_ heatmap: ImageArray, colormap: Colormap = .jet) throws -> ImageArray {
        guard heatmap.channels == 1 else {
            throw ExplainError.invalidInput(what: "colorize", reason: "the heat-map must have one channel, got shape \(heatmap.shape)")
        }
        var rgb = [Float]()
        rgb.reserveCapacity(heatmap.values.count * 3)
        for value in heatmap.values {
            let c = colormap.color(value)
            rgb += [255 * c.red, 255 * c.green, 255 * c.blue]
        }
        return ImageArray(shape: heatmap.spatialShape + [3], values: rgb)
    }

    /// Three orthogonal slices of an RGB volume (DHW3) side by side, separated by `gap` black
    /// columns: axial (the plane at depth `center[0]`, H x W), coronal (row `center[1]`, D x W)
    /// and sagittal (column `center[2]`, D x H). `center` defaults to the middle voxel. Slices
    /// are shown in voxel units (no spacing correction); shorter panels are padded at the bottom.
    public static func montage(_ volume: ImageArray, center: [Int]? = nil, gap: Int = 2) throws -> ImageArray {
        guard volume.isVolume else {
            throw ExplainError.invalidInput(what: "montage", reason: "needs a volume (D, H, W, C), got \(volume.shape)")
        }
        let (d, h, w, c) = (volume.shape[0], volume.shape[1], volume.shape[2], volume.shape[3])
        let at = center ?? [d / 2, h / 2, w / 2]
        guard at.count == 3, (0..<3).allSatisfy({ at[$0] >= 0 && at[$0] < [d, h, w][$0] }) else {
            throw ExplainError.invalidInput(what: "montage", reason: "center \(at) lies outside the volume \([d, h, w])")
        }
        // Each panel: (rows, cols, voxel index of (row, col)).
        let panels: [(Int, Int, (Int, Int) -> Int)] = [
            (h, w, { r, q in (at[0] * h + r) * w + q }),
            (d, w, { r, q in (r * h + at[1]) * w + q }),
            (d, h, { r, q in (r * h + q) * w + at[2] }),
        ]
        let height = panels.map(\.0).max() ?? 0
        let width = panels.map(\.1).reduce(0, +) + 2 * gap
        var values = [Float](repeating: 0, count: height * width * c)
        var left = 0
        for (rows, cols, voxel) in panels {
            for r in 0..<rows {
                for q in 0..<cols {
                    let source = voxel(r, q) * c
                    let target = (r * width + left + q) * c
                    for k in 0..<c { values[target + k] = volume.values[source + k] }
                }
            }
            left += cols + gap
        }
        return ImageArray(shape: [height, width, c], values: values)
    }

    /// Writes an overlay PNG: for an image, the overlay itself; for a volume, the montage of
    /// the overlay's three mid slices.
    public static func writePNG(
        image: ImageArray, heatmap: ImageArray, to url: URL, colormap: Colormap = .jet, alpha: Float = 0.4
    ) throws {
        let blended = try overlay(image: image, heatmap: heatmap, colormap: colormap, alpha: alpha)
        try PNG.write(blended.isVolume ? try montage(blended) : blended, to: url)
    }
}

extension GradCAMMap {
    /// This map over `image` (the explained input, HWC or DHWC), RGB 0-255.
    public func overlay(on image: ImageArray, colormap: Colormap = .jet, alpha: Float = 0.4) throws -> ImageArray {
        try HeatmapOverlay.overlay(image: image, heatmap: heatmap, colormap: colormap, alpha: alpha)
    }

    /// Writes this map's overlay PNG (a three-slice montage for a volume).
    public func writeOverlay(on image: ImageArray, to url: URL, colormap: Colormap = .jet, alpha: Float = 0.4) throws {
        try HeatmapOverlay.writePNG(image: image, heatmap: heatmap, to: url, colormap: colormap, alpha: alpha)
    }
}
