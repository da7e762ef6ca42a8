import Foundation
import ZooCore

/// Writes any dataset to disk as files plus a CSV manifest (`path,label,mask,patient_id,id`)
/// that `ManifestDataset` reads back: 2D images as 8-bit PNG in one folder per class,
/// masks as 0/255 PNG; volumes as `.nii.gz` (float32) with uint8 mask volumes.
public enum DatasetExport {
    /// Exports samples `indices` (all by default) under `folder`; returns the manifest URL.
    @discardableResult
    public static func write(_ dataset: Dataset, to folder: URL, indices: [Int]? = nil) throws -> URL {
        var lines = ["path,label,mask,patient_id,id"]
        for index in indices ?? Array(0..<dataset.count) {
            let sample = try dataset.sample(at: index)
            let className = sample.label.map { dataset.classNames.indices.contains($0) ? dataset.classNames[$0] : String($0) }
            let classFolder = className ?? "unlabelled"
            let imagePath: String, maskPath: String
            if sample.image.isVolume {
                imagePath = "images/\(classFolder)/\(sample.id).nii.gz"
                try NIfTI.write(sample.image, spacing: sample.spacing ?? [1, 1, 1], to: folder.appendingPathComponent(imagePath))
                maskPath = sample.mask == nil ? "" : "masks/\(sample.id).nii.gz"
                if let mask = sample.mask {
                    try NIfTI.write(mask, spacing: sample.spacing ?? [1, 1, 1], as: .uint8, to: folder.appendingPathComponent(maskPath))
                }
            } else {
                imagePath = "images/\(classFolder)/\(sample.id).png"
                try PNG.write(sample.image, to: folder.appendingPathComponent(imagePath))
                maskPath = sample.mask == nil ? "" : "masks/\(sample.id).png"
                if let mask = sample.mask {
                    var scaled = mask
                    scaled.values = mask.values.map { $0 > 0 ? 255 : 0 }
                    try PNG.write(scaled, to: folder.appendingPathComponent(maskPath))
                }
            }
            lines.append([imagePath, className ?? "", maskPath, sample.info.group ?? "", sample.id].map(CSV.escape).joined(separator: ","))
        }
        let manifest = folder.appendingPathComponent("manifest.csv")
        try FileAccess.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: manifest)
        return manifest
    }
}

/// Contact sheets of samples for documentation and reports: 8-bit RGB, mask outlines in red.
public enum Montage {
    /// Tiles of `tile` x `tile` pixels, `columns` per row; volumes show their middle axial
    /// slice. Each image is min-max scaled to 0-255 unless `window` gives the value range.
    public static func make(_ samples: [Sample], columns: Int, tile: Int, window: (Float, Float)? = nil) -> ImageArray {
        let rows = (samples.count + columns - 1) / columns
        let (height, width) = (rows * tile, columns * tile)
        var out = [Float](repeating: 0, count: height * width * 3)
        for (n, sample) in samples.enumerated() {
            var image = ChannelMode.gray.apply(slice(sample.image))
            var mask = sample.mask.map { slice($0) }
            let (low, high) = window ?? image.range
            image = Grid.resize(image, to: [tile - 2, tile - 2], linear: true)
            mask = mask.map { Grid.resize($0, to: [tile - 2, tile - 2], linear: false) }
            let (oy, ox) = ((n / columns) * tile + 1, (n % columns) * tile + 1)
            let t = tile - 2
            for y in 0..<t {
                for x in 0..<t {
                    let v = ((image.values[y * t + x] - low) / Swift.max(high - low, 1e-6) * 255).clamped(0, 255)
                    let p = ((oy + y) * width + ox + x) * 3
                    out[p] = v; out[p + 1] = v; out[p + 2] = v
                    if let m = mask?.values, m[y * t + x] > 0 {
                        let edge = [(y > 0 ? m[(y - 1) * t + x] : 0), (y < t - 1 ? m[(y + 1) * t + x] : 0),
                                    (x > 0 ? m[y * t + x - 1] : 0), (x < t - 1 ? m[y * t + x + 1] : 0)].contains(0)
                        if edge { out[p] = 255; out[p + 1] = 40; out[p + 2] = 40 }
                    }
                }
            }
        }
        return ImageArray(shape: [height, width, 3], values: out)
    }

    /// The middle depth slice of a volume, or the image itself.
    static func slice(_ image: ImageArray) -> ImageArray {
        guard image.isVolume else { return image }
        let (d, h, w, c) = Grid.dims(image.shape)
        let z = d / 2
        return ImageArray(shape: [h, w, c], values: Array(image.values[(z * h * w * c)..<((z + 1) * h * w * c)]))
    }
}
