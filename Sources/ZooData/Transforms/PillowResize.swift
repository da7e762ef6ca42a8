import ZooCore
import ZooTensor

/// Resizing as Pillow's `Image.resize` does it on 8-bit images, pixel for pixel: what Keras's
/// `load_img(target_size=...)` hands a Keras model, so that a model trained in Keras sees the
/// same pixels in Zoo. Two filters, each Pillow's own rule (Resample.c, Geometry.c):
///
/// - nearest: the source column of output column `x` is the integer part of a position that
///   starts at half a step and grows by one step (input / output) per column, accumulated by
///   repeated addition in double precision, as Pillow's affine scaling does; the same per row.
/// - bilinear: a triangle filter whose support widens with the reduction (antialiasing when
///   shrinking), weights normalized per output pixel and turned into 22-bit fixed point, one
///   pass per axis in Pillow's order, each rounded to 8 bits (half up) and clipped to 0...255.
///
/// Pixel values must be 8-bit (integers in 0...255, as decoded from an 8-bit PNG or JPEG);
/// anything else is an error rather than a resize that only looks like Pillow's. 2D only.
public struct PillowResize: SampleTransform {
    public enum Filter: String, Sendable, CaseIterable { case nearest, bilinear }

    /// [height, width].
    public var size: [Int]
    public var filter: Filter

    public init(size: [Int], filter: Filter) {
        self.size = size
        self.filter = filter
    }

    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        guard sample.image.spatialRank == 2 else {
            throw DataError("pillow_resize", "resizes 2D images (Pillow has no volumes), got shape \(sample.image.shape)")
        }
        try checkRank(size, sample.image, "pillow_resize")
        if let index = sample.image.values.firstIndex(where: { !($0 >= 0 && $0 <= 255 && $0 == $0.rounded()) }) {
            throw DataError(
                "pillow_resize",
                "needs 8-bit pixel values (integers 0-255) as Keras's load_img sees them; value \(sample.image.values[index]) at \(index) of \(sample.id)")
        }
        return sample.resized(to: size) { image, isMask in
            isMask || filter == .nearest ? PillowResampling.nearest(image, to: size) : PillowResampling.bilinear(image, to: size)
        }
    }
}

/// Pillow's two resampling rules on HWC arrays of 8-bit values.
enum PillowResampling {
    /// Pillow's fixed-point precision for 8-bit images: 32 bits less 8 for the value and 2 for
    /// the sign and the sum's headroom.
    static let precisionBits = 22

    /// The source index of each output index (ImagingScaleAffine's accumulation).
    static func nearestIndices(input: Int, output: Int) -> [Int] {
        let step = Double(input) / Double(output)
        var position = step * 0.5
        var indices = [Int]()
        indices.reserveCapacity(output)
        for _ in 0..<output {
            indices.append(Swift.min(Swift.max(Int(position), 0), input - 1))
            position += step
        }
        return indices
    }

    static func nearest(_ image: ImageArray, to size: [Int]) -> ImageArray {
        let (h, w, c) = (image.shape[0], image.shape[1], image.shape[2])
        let rows = nearestIndices(input: h, output: size[0]), columns = nearestIndices(input: w, output: size[1])
        var out = [Float](repeating: 0, count: size[0] * size[1] * c)
        var o = 0
        for y in rows {
            for x in columns {
                let s = (y * w + x) * c
                for k in 0..<c { out[o + k] = image.values[s + k] }
                o += c
            }
        }
        return ImageArray(shape: [size[0], size[1], c], values: out)
    }

    /// For each output index, the first source index, the number of taps and their 22-bit
    /// fixed-point weights (`precompute_coeffs` and `normalize_coeffs_8bpc`).
    static func bilinearCoefficients(input: Int, output: Int) -> [(first: Int, weights: [Int])] {
        let scale = Double(input) / Double(output)
        let filterScale = Swift.max(scale, 1)
        let support = 1 * filterScale  // the triangle's support is 1
        return (0..<output).map { index in
            let centre = (Double(index) + 0.5) * scale
            let first = Swift.max(Int(centre - support + 0.5), 0)
            let end = Swift.min(Int(centre + support + 0.5), input)
            var weights = (first..<Swift.max(end, first)).map { x -> Double in
                let distance = abs((Double(x) - centre + 0.5) / filterScale)
                return distance < 1 ? 1 - distance : 0
            }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            let unit = Double(1 << precisionBits)
            return (first, weights.map { $0 < 0 ? Int(-0.5 + $0 * unit) : Int(0.5 + $0 * unit) })
        }
    }

    /// Pillow's bilinear resize: one pass per axis whose extent changes, in Pillow 13's order.
    static func bilinear(_ image: ImageArray, to size: [Int]) -> ImageArray {
        var current = image
        // Each pass only when its extent changes. The order matters, since each pass rounds to
        // 8 bits: Pillow 13 (python-pillow#9549) runs the vertical pass first when the height
        // shrinks by more than twice the columns the width loses (a tie goes horizontal first),
        // so a height that shrinks while the width grows goes vertical first too; Pillow 12 and
        // earlier always ran the horizontal pass first.
        let (height, width) = (image.shape[0], image.shape[1])
        let verticalFirst = size[0] < height && height - size[0] > 2 * (width - size[1])
        for axis in verticalFirst ? [0, 1] : [1, 0] where size[axis] != current.shape[axis] {
            current = pass(current, axis: axis, output: size[axis])
        }
        return current
    }

    /// One pass along `axis` (0: rows, 1: columns) to `output` values: each the rounded
    /// fixed-point sum of its taps, clipped to 0...255.
    static func pass(_ image: ImageArray, axis: Int, output: Int) -> ImageArray {
        let (h, w, c) = (image.shape[0], image.shape[1], image.shape[2])
        let input = axis == 0 ? h : w
        let coefficients = bilinearCoefficients(input: input, output: output)
        let (outH, outW) = axis == 0 ? (output, w) : (h, output)
        var out = [Float](repeating: 0, count: outH * outW * c)
        let half = 1 << (precisionBits - 1)
        image.values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outH {
                    for x in 0..<outW {
                        let (first, weights) = coefficients[axis == 0 ? y : x]
                        for k in 0..<c {
                            var sum = half
                            for (tap, weight) in weights.enumerated() {
                                let (sy, sx) = axis == 0 ? (first + tap, x) : (y, first + tap)
                                sum += Int(source[(sy * w + sx) * c + k]) * weight
                            }
                            target[(y * outW + x) * c + k] = Float(Swift.min(Swift.max(sum >> precisionBits, 0), 255))
                        }
                    }
                }
            }
        }
        return ImageArray(shape: [outH, outW, c], values: out)
    }
}
