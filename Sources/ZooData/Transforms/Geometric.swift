import Foundation
import ZooCore
import ZooTensor

/// Interpolation for resizing and warps: ZooTensor's (the one `upsample` takes), with the names
/// configs give it.
extension Interpolation {
    /// The names configs give: `nearest`, and `bilinear`, `trilinear` or `linear` for linear.
    public static let configNames = ["nearest", "bilinear", "trilinear", "linear"]

    public init(name: String) throws {
        switch name {
        case "nearest": self = .nearest
        case "bilinear", "trilinear", "linear": self = .linear
        default: throw DataError("interpolation", "'\(name)' is not one of \(Interpolation.configNames.joined(separator: ", "))")
        }
    }
}

/// Checks that a transform's spatial size has one extent per spatial axis of the image.
func checkRank(_ size: [Int], _ image: ImageArray, _ name: String) throws {
    guard size.count == image.spatialRank, size.allSatisfy({ $0 > 0 }) else {
        throw DataError(name, "size \(size) does not fit an image of shape \(image.shape)")
    }
}

/// Resizes to a fixed spatial size ([h, w] or [d, h, w]).
public struct Resize: SampleTransform {
    public var size: [Int]
    public var interpolation: Interpolation
    public init(size: [Int], interpolation: Interpolation = .linear) {
        self.size = size
        self.interpolation = interpolation
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        try checkRank(size, sample.image, "resize")
        return sample.resized(to: size) { image, isMask in
            Grid.resize(image, to: size, linear: !isMask && interpolation == .linear)
        }
    }
}

/// Crops the centre (padding with zeros where the image is smaller).
public struct CenterCrop: SampleTransform {
    public var size: [Int]
    public init(size: [Int]) { self.size = size }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        try checkRank(size, sample.image, "center_crop")
        let origin = zip(sample.image.spatialShape, size).map { ($0 - $1) / 2 }
        return sample.mapGeometry { image, _ in Grid.window(image, origin: origin, size: size, fill: 0) }
    }
}

/// Crops a window at a uniformly random position (padding where the image is smaller).
public struct RandomCrop: SampleTransform {
    public var size: [Int]
    public init(size: [Int]) { self.size = size }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        try checkRank(size, sample.image, "random_crop")
        let origin = zip(sample.image.spatialShape, size).map { extent, want in
            extent > want ? random.nextInt(below: extent - want + 1) : (extent - want) / 2
        }
        return sample.mapGeometry { image, _ in Grid.window(image, origin: origin, size: size, fill: 0) }
    }
}

/// Pads symmetrically to at least `size` with `value` (the mask with 0).
public struct Pad: SampleTransform {
    public var size: [Int]
    public var value: Float
    public init(size: [Int], value: Float = 0) {
        self.size = size
        self.value = value
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        try checkRank(size, sample.image, "pad")
        let target = zip(sample.image.spatialShape, size).map { Swift.max($0, $1) }
        let origin = zip(sample.image.spatialShape, target).map { ($0 - $1) / 2 }
        return sample.mapGeometry { image, isMask in
            Grid.window(image, origin: origin, size: target, fill: isMask ? 0 : value)
        }
    }
}

/// Flips horizontally and/or vertically, each with `probability` (2D images and volumes: the
/// last two spatial axes).
public struct RandomFlip: SampleTransform {
    public var horizontal: Bool, vertical: Bool
    public var probability: Float
    public init(horizontal: Bool = true, vertical: Bool = false, probability: Float = 0.5) {
        self.horizontal = horizontal
        self.vertical = vertical
        self.probability = probability
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        // Both draws always happen, so the stream does not depend on the outcome.
        let flipH = random.nextUnit() < probability && horizontal
        let flipV = random.nextUnit() < probability && vertical
        let rank = sample.image.spatialRank
        var result = sample
        if flipH { result = result.mapGeometry { image, _ in Grid.flip(image, axis: rank - 1) } }
        if flipV { result = result.mapGeometry { image, _ in Grid.flip(image, axis: rank - 2) } }
        return result
    }
}

/// An affine warp about the image centre, applied to every slice (2D images, or volumes
/// slice by slice).
func warp(_ sample: Sample, inverse: (Float, Float, Float, Float), fill: FillMode) -> Sample {
    let spatial = sample.image.spatialShape
    let (h, w) = (spatial[spatial.count - 2], spatial[spatial.count - 1])
    let coordinates = Grid.affineCoordinates(height: h, width: w, inverse: inverse)
    return sample.mapGeometry { image, isMask in
        Grid.remap(image, sourceY: coordinates.y, sourceX: coordinates.x, linear: !isMask, fill: fill, value: 0)
    }
}

/// Rotates by an angle uniform in [-degrees, degrees] (Keras's `rotation_range`).
public struct RandomRotation: SampleTransform {
    public var degrees: Float
    public var fill: FillMode
    public init(degrees: Float, fill: FillMode = .nearest) {
        self.degrees = degrees
        self.fill = fill
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        let angle = random.nextUniform(-degrees, degrees) * .pi / 180
        let (c, s) = (cos(angle), sin(angle))
        return warp(sample, inverse: (c, -s, s, c), fill: fill)
    }
}

/// Magnifies by a factor uniform in [low, high] (above 1 zooms in), about the centre.
public struct RandomZoom: SampleTransform {
    public var low: Float, high: Float
    public var fill: FillMode
    public init(low: Float, high: Float, fill: FillMode = .nearest) {
        self.low = low
        self.high = high
        self.fill = fill
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        let zoom = Swift.max(0.01, random.nextUniform(low, high))
        return warp(sample, inverse: (1 / zoom, 0, 0, 1 / zoom), fill: fill)
    }
}

/// Elastic distortion (Simard et al. 2003): a random displacement field, uniform in [-1, 1],
/// smoothed by a Gaussian of `sigma` pixels and scaled by `alpha` pixels; applied with
/// `probability`.
public struct RandomElastic: SampleTransform {
    public var alpha: Float, sigma: Float, probability: Float
    public var fill: FillMode
    public init(alpha: Float = 34, sigma: Float = 4, probability: Float = 0.5, fill: FillMode = .nearest) {
        self.alpha = alpha
        self.sigma = sigma
        self.probability = probability
        self.fill = fill
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        guard random.nextUnit() < probability else { return sample }
        let spatial = sample.image.spatialShape
        let (h, w) = (spatial[spatial.count - 2], spatial[spatial.count - 1])
        var dy = (0..<(h * w)).map { _ in random.nextUniform(-1, 1) }
        var dx = (0..<(h * w)).map { _ in random.nextUniform(-1, 1) }
        Smoothing.gaussian(&dy, height: h, width: w, sigma: sigma)
        Smoothing.gaussian(&dx, height: h, width: w, sigma: sigma)
        var ys = [Float](repeating: 0, count: h * w), xs = ys
        for y in 0..<h {
            for x in 0..<w {
                let p = y * w + x
                ys[p] = Float(y) + alpha * dy[p]
                xs[p] = Float(x) + alpha * dx[p]
            }
        }
        return sample.mapGeometry { image, isMask in
            Grid.remap(image, sourceY: ys, sourceX: xs, linear: !isMask, fill: fill, value: 0)
        }
    }
}

/// Separable Gaussian smoothing of a 2D plane (edges clamped).
enum Smoothing {
    static func gaussian(_ plane: inout [Float], height h: Int, width w: Int, sigma: Float) {
        guard sigma > 0 else { return }
        let radius = Swift.max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        for i in kernel.indices { kernel[i] /= total }
        var temp = [Float](repeating: 0, count: plane.count)
        plane.withUnsafeMutableBufferPointer { data in
            temp.withUnsafeMutableBufferPointer { buffer in
                kernel.withUnsafeBufferPointer { k in
                    for y in 0..<h {
                        for x in 0..<w {
                            var acc: Float = 0
                            for t in -radius...radius {
                                let xx = Swift.min(w - 1, Swift.max(0, x + t))
                                acc += k[t + radius] * data[y * w + xx]
                            }
                            buffer[y * w + x] = acc
                        }
                    }
                    for y in 0..<h {
                        for x in 0..<w {
                            var acc: Float = 0
                            for t in -radius...radius {
                                let yy = Swift.min(h - 1, Swift.max(0, y + t))
                                acc += k[t + radius] * buffer[yy * w + x]
                            }
                            data[y * w + x] = acc
                        }
                    }
                }
            }
        }
    }
}

/// How warps fill positions that fall outside the image (Keras's `fill_mode`): the nearest
/// edge value, zero, or the mirror image.
public enum FillMode: String, Sendable, CaseIterable {
    case nearest, constant, reflect
}
