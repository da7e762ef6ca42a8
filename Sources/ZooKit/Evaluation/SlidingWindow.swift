import Foundation
import ZooTensor

/// Sliding-window inference over a whole volume (or image), as MONAI's
/// `sliding_window_inference`: windows of the network's input size step across the volume
/// with the given overlap (the last window of an axis ends at its edge), each window's class
/// probabilities are weighted by an importance map (a Gaussian with sigma = `sigmaScale` x
/// window size per axis, or constant) and the weighted sum is divided by the summed weights. A
/// volume smaller than the window is padded with zeros (after preprocessing) and the result
/// cropped back. Evaluation then runs at the volume's own resolution and spacing instead of on
/// a copy resized to the network's input.
public struct SlidingWindow: Sendable, Equatable {
    /// The window's spatial size (the network's input).
    public var size: [Int]
    /// The fraction of a window shared with the next one along each axis, in [0, 1).
    public var overlap: Double
    /// `true`: Gaussian importance; `false`: every voxel of a window weighs the same.
    public var gaussian: Bool
    public var sigmaScale: Double

    public init(size: [Int], overlap: Double = 0.25, gaussian: Bool = true, sigmaScale: Double = 0.125) {
        self.size = size
        self.overlap = overlap
        self.gaussian = gaussian
        self.sigmaScale = sigmaScale
    }

    /// The start of every window along an axis of `extent` voxels.
    func starts(extent: Int, window: Int) -> [Int] {
        guard extent > window else { return [0] }
        let step = Swift.max(1, Int(Double(window) * (1 - overlap)))
        var result = Array(stride(from: 0, to: extent - window, by: step))
        result.append(extent - window)
        return Array(Set(result)).sorted()
    }

    /// The importance of every voxel of a window (row-major over `size`), its maximum 1 and
    /// no weight below the smallest positive one (so every voxel is covered).
    var importance: [Float] {
        let count = size.reduce(1, *)
        guard gaussian else { return [Float](repeating: 1, count: count) }
        let axes = size.map { extent -> [Double] in
            let sigma = Swift.max(sigmaScale * Double(extent), 1e-6)
            let center = Double(extent - 1) / 2
            return (0..<extent).map { exp(-pow(Double($0) - center, 2) / (2 * sigma * sigma)) }
        }
        var values = [Float](repeating: 1, count: count)
        for index in 0..<count {
            var rest = index, weight = 1.0
            for axis in stride(from: size.count - 1, through: 0, by: -1) {
                weight *= axes[axis][rest % size[axis]]
                rest /= size[axis]
            }
            values[index] = Float(weight)
        }
        let largest = values.max() ?? 1
        values = values.map { $0 / largest }
        let smallest = values.filter { $0 > 0 }.min() ?? 1
        return values.map { Swift.max($0, smallest) }
    }

    /// The class probabilities of `volume` ([1, spatial..., channels]) from `model`, a function
    /// from windows [1, size..., channels] to their probabilities [1, size..., classes].
    public func infer(_ volume: Tensor, _ model: (Tensor) throws -> Tensor) throws -> Tensor {
        let shape = volume.shape
        guard shape.count == size.count + 2, shape[0] == 1 else {
            throw RunError("sliding window: a volume of shape \(shape) does not fit windows of \(size) (one sample at a time)")
        }
        let spatial = Array(shape.dropFirst().dropLast()), channels = shape.last!
        // Zero padding up to the window where the volume is smaller.
        let padded = zip(spatial, size).map(Swift.max)
        let input = pad(volume.scalars, from: spatial, to: padded, channels: channels)
        let weights = importance
        var sum: [Float] = [], total = [Float](repeating: 0, count: padded.reduce(1, *))
        var classes = 0
        let starts = zip(padded, size).map { self.starts(extent: $0, window: $1) }
        var corner = [Int](repeating: 0, count: size.count)
        func visit(_ axis: Int) throws {
            if axis == size.count {
                let window = crop(input, shape: padded, channels: channels, origin: corner)
                let output = try model(try Tensor(shape: [1] + size + [channels], scalars: window))
                if classes == 0 {
                    classes = output.shape.last!
                    sum = [Float](repeating: 0, count: total.count * classes)
                }
                accumulate(output.scalars, weights: weights, into: &sum, total: &total, shape: padded, classes: classes, origin: corner)
                return
            }
            for start in starts[axis] {
                corner[axis] = start
                try visit(axis + 1)
            }
        }
        try visit(0)
        for voxel in 0..<total.count {
            for k in 0..<classes { sum[voxel * classes + k] /= total[voxel] }
        }
        let cropped = crop(sum, shape: padded, channels: classes, origin: [Int](repeating: 0, count: size.count), size: spatial)
        return try Tensor(shape: [1] + spatial + [classes], scalars: cropped)
    }

    /// Visits every voxel of a `size` box at `origin` within `shape`: (voxel index in the
    /// box, voxel index in the whole).
    func forEachVoxel(shape: [Int], origin: [Int], size box: [Int], _ body: (Int, Int) -> Void) {
        let count = box.reduce(1, *)
        for local in 0..<count {
            var rest = local, global = 0, step = 1
            for axis in stride(from: box.count - 1, through: 0, by: -1) {
                global += (origin[axis] + rest % box[axis]) * step
                step *= shape[axis]
                rest /= box[axis]
            }
            body(local, global)
        }
    }

    func crop(_ values: [Float], shape: [Int], channels: Int, origin: [Int], size box: [Int]? = nil) -> [Float] {
        let box = box ?? size
        var result = [Float](repeating: 0, count: box.reduce(1, *) * channels)
        forEachVoxel(shape: shape, origin: origin, size: box) { local, global in
            for c in 0..<channels { result[local * channels + c] = values[global * channels + c] }
        }
        return result
    }

    func pad(_ values: [Float], from shape: [Int], to padded: [Int], channels: Int) -> [Float] {
        guard shape != padded else { return values }
        var result = [Float](repeating: 0, count: padded.reduce(1, *) * channels)
        forEachVoxel(shape: padded, origin: [Int](repeating: 0, count: shape.count), size: shape) { local, global in
            for c in 0..<channels { result[global * channels + c] = values[local * channels + c] }
        }
        return result
    }

    func accumulate(_ window: [Float], weights: [Float], into sum: inout [Float], total: inout [Float], shape: [Int], classes: Int, origin: [Int]) {
        forEachVoxel(shape: shape, origin: origin, size: size) { local, global in
            let weight = weights[local]
            total[global] += weight
            for k in 0..<classes { sum[global * classes + k] += window[local * classes + k] * weight }
        }
    }
}
