import Foundation
import ZooCore
import ZooTensor

/// A star-shaped outline: a base radius modulated by harmonics (lobulation) and narrow
/// spikes (spiculation). r(t) = radius * (1 + sum a_k cos(k t + p_k)) + sum spikes.
struct RadialShape {
    var centerY: Float, centerX: Float
    var radius: Float
    /// Elongation: the y axis is scaled by this before measuring (1 = round).
    var aspect: Float = 1
    var rotation: Float = 0
    var harmonics: [(order: Float, amplitude: Float, phase: Float)] = []
    var spikes: [(angle: Float, width: Float, length: Float)] = []

    /// The outline's radius at angle `t`.
    @inline(__always) func radius(at t: Float) -> Float {
        var r: Float = 1
        for h in harmonics { r += h.amplitude * cos(h.order * t + h.phase) }
        r *= radius
        for s in spikes {
            var d = abs(t - s.angle)
            if d > .pi { d = 2 * .pi - d }
            if d < s.width {
                let f = 1 - d / s.width
                r += s.length * f * f
            }
        }
        return Swift.max(r, 0.5)
    }

    /// Radii that the outline never goes inside of and never beyond: between them a pixel
    /// needs the angle (an `atan2` and the harmonics' cosines); inside or outside them it
    /// does not. Spikes may overlap, so their lengths add up for the outer bound.
    var bounds: (inner: Float, outer: Float) {
        let lobes = harmonics.reduce(Float(0)) { $0 + abs($1.amplitude) }
        let spikeOut = spikes.reduce(Float(0)) { $0 + Swift.max($1.length, 0) }
        let spikeIn = spikes.reduce(Float(0)) { $0 + Swift.min($1.length, 0) }
        return (Swift.max(radius * (1 - lobes) + spikeIn, 0.5), Swift.max(radius * (1 + lobes) + spikeOut, 0.5))
    }

    /// The largest extent, for the bounding box.
    var reach: Float {
        let lobes = harmonics.reduce(Float(1)) { $0 + abs($1.amplitude) }
        return (radius * lobes + (spikes.map(\.length).max() ?? 0)) * Swift.max(aspect, 1 / aspect) + 2
    }

    /// Random lobulation of `count` harmonics (orders 2...) with amplitudes up to `amount`.
    static func harmonics(_ count: Int, amount: Float, _ random: inout RandomGenerator) -> [(Float, Float, Float)] {
        (0..<count).map { k in (Float(k + 2), random.nextUniform(0, amount) / Float(k + 1).squareRoot(), random.nextUniform(0, 2 * .pi)) }
    }

    /// `count` spikes of length up to `length` and angular width about `width` radians.
    static func spikes(_ count: Int, length: Float, width: Float, _ random: inout RandomGenerator) -> [(Float, Float, Float)] {
        (0..<count).map { _ in (random.nextUniform(-.pi, .pi), width * random.nextUniform(0.6, 1.4), length * random.nextUniform(0.3, 1)) }
    }
}

/// A 2D float image with painting primitives, on raw pointers.
struct Canvas {
    let height: Int, width: Int
    var pixels: [Float]

    init(height: Int, width: Int, value: Float = 0) {
        self.height = height
        self.width = width
        pixels = [Float](repeating: value, count: height * width)
    }

    /// Paints a shape with coverage alpha (a soft edge of `softness` pixels), blending toward
    /// `value` (or adding `value` when `add`), weighted by `weights` when given (for
    /// instance a lung-field map that confines a lesion). Returns the coverage per pixel of
    /// the box when `coverage` is requested (full-size array, else nil).
    @discardableResult
    mutating func paint(_ shape: RadialShape, value: Float, softness: Float = 1, add: Bool = false,
                        weights: [Float]? = nil, coverage: Bool = false, texture: [Float]? = nil) -> [Float]? {
        var cover = [Float](repeating: 0, count: coverage ? height * width : 0)
        let reach = shape.reach + softness
        let y0 = Swift.max(0, Int(shape.centerY - reach)), y1 = Swift.min(height - 1, Int(shape.centerY + reach) + 1)
        let x0 = Swift.max(0, Int(shape.centerX - reach)), x1 = Swift.min(width - 1, Int(shape.centerX + reach) + 1)
        guard y0 <= y1, x0 <= x1 else { return coverage ? cover : nil }
        let (cr, sr) = (cos(shape.rotation), sin(shape.rotation))
        let soft = Swift.max(softness, 0.3)
        // Alpha is exactly 1 up to the distance `solid` and exactly 0 from `clear` on (the
        // margins absorb the rounding of r), so only the rim between needs the outline's
        // radius at the pixel's angle.
        let (inner, outer) = shape.bounds
        let solid = inner - 0.5 * soft - 0.01, clear = outer + 0.5 * soft + 0.01
        let solid2: Float = solid > 0 ? solid * solid : -1, clear2 = clear * clear
        let w = width
        Canvas.withPointer(weights) { weights in
            Canvas.withPointer(texture) { texture in
                cover.withUnsafeMutableBufferPointer { coverBuffer in
                    pixels.withUnsafeMutableBufferPointer { out in
                        let covered = coverage ? coverBuffer.baseAddress : nil
                        for y in y0...y1 {
                            let dy = Float(y) - shape.centerY
                            for x in x0...x1 {
                                let dx = Float(x) - shape.centerX
                                let u = (dy * cr - dx * sr) / shape.aspect, v = dy * sr + dx * cr
                                let distance2 = u * u + v * v
                                if distance2 >= clear2 { continue }
                                var alpha: Float = 1
                                if distance2 > solid2 {
                                    let r = shape.radius(at: atan2(u, v))
                                    alpha = ((r - distance2.squareRoot()) / soft + 0.5).clamped(0, 1)
                                    if alpha <= 0 { continue }
                                }
                                let p = y * w + x
                                if let weights { alpha *= weights[p] }
                                var target = value
                                if let texture { target += texture[p] }
                                out[p] = add ? out[p] + alpha * target : out[p] + alpha * (target - out[p])
                                if let covered, alpha > covered[p] { covered[p] = alpha }
                            }
                        }
                    }
                }
            }
        }
        return coverage ? cover : nil
    }

    /// Runs `body` with a pointer to the elements of `values`, or nil.
    @inline(__always)
    static func withPointer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let values else { return body(nil) }
        return values.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// Adds white Gaussian noise.
    mutating func addNoise(_ sigma: Float, _ random: inout RandomGenerator) {
        pixels.withUnsafeMutableBufferPointer { out in
            for i in 0..<out.count { out[i] += sigma * random.nextNormal() }
        }
    }

    /// Smooth random texture in [-amplitude, amplitude]: a coarse random grid of `cell`
    /// pixels, interpolated bilinearly.
    static func smoothNoise(height: Int, width: Int, cell: Int, amplitude: Float, _ random: inout RandomGenerator) -> [Float] {
        let gh = Swift.max(2, height / Swift.max(1, cell) + 2), gw = Swift.max(2, width / Swift.max(1, cell) + 2)
        var values = [Float](repeating: 0, count: gh * gw)
        for i in 0..<values.count { values[i] = random.nextUniform(-amplitude, amplitude) }
        let coarse = ImageArray(shape: [gh, gw, 1], values: values)
        return Grid.resize(coarse, to: [height, width], linear: true).values
    }

    /// Adds `values` element-wise.
    mutating func add(_ values: [Float], scale: Float = 1) {
        pixels.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { v in for i in 0..<out.count { out[i] += scale * v[i] } }
        }
    }

    /// Gaussian blur.
    mutating func blur(_ sigma: Float) { Smoothing.gaussian(&pixels, height: height, width: width, sigma: sigma) }

    /// As a one-channel image.
    var image: ImageArray { ImageArray(shape: [height, width, 1], values: pixels) }
}

/// Ultrasound image formation: tissue reflectivity times speckle, depth attenuation and
/// log compression to 0-255.
enum Ultrasound {
    /// Fully developed speckle: the magnitude of a complex Gaussian field correlated more
    /// along the beam's lateral direction (x) than in depth (y), with mean about 1.
    static func speckle(height: Int, width: Int, _ random: inout RandomGenerator) -> [Float] {
        let n = height * width
        var re = [Float](repeating: 0, count: n), im = [Float](repeating: 0, count: n)
        re.withUnsafeMutableBufferPointer { for i in 0..<n { $0[i] = random.nextNormal() } }
        im.withUnsafeMutableBufferPointer { for i in 0..<n { $0[i] = random.nextNormal() } }
        lateralBlur(&re, height: height, width: width)
        lateralBlur(&im, height: height, width: width)
        var out = [Float](repeating: 0, count: n)
        re.withUnsafeBufferPointer { re in
            im.withUnsafeBufferPointer { im in
                out.withUnsafeMutableBufferPointer { out in
                    for i in 0..<n { out[i] = (re[i] * re[i] + im[i] * im[i]).squareRoot() * 1.45 }
                }
            }
        }
        return out
    }

    /// A [1, 2, 3, 2, 1] filter along x and [1, 2, 1] along y: the resolution cell is wider
    /// than it is deep.
    static func lateralBlur(_ v: inout [Float], height h: Int, width w: Int) {
        var t = [Float](repeating: 0, count: v.count)
        v.withUnsafeMutableBufferPointer { v in
            t.withUnsafeMutableBufferPointer { t in
                for y in 0..<h {
                    let row = y * w
                    for x in 0..<w {
                        let a = v[row + Swift.max(0, x - 2)], b = v[row + Swift.max(0, x - 1)], c = v[row + x]
                        let d = v[row + Swift.min(w - 1, x + 1)], e = v[row + Swift.min(w - 1, x + 2)]
                        t[row + x] = (a + 2 * b + 3 * c + 2 * d + e) / 9
                    }
                }
                for y in 0..<h {
                    let up = Swift.max(0, y - 1) * w, row = y * w, down = Swift.min(h - 1, y + 1) * w
                    for x in 0..<w { v[row + x] = (t[up + x] + 2 * t[row + x] + t[down + x]) / 4 }
                }
            }
        }
    }

    /// Log-compressed display values 0-255 of reflectivity x speckle, with a depth gain.
    static func display(_ echo: [Float], speckle: [Float], height: Int, width: Int, attenuation: Float, gain: Float) -> [Float] {
        var out = [Float](repeating: 0, count: echo.count)
        let dynamic: Float = 40, full = log(1 + dynamic * 2.5)
        echo.withUnsafeBufferPointer { echo in
            speckle.withUnsafeBufferPointer { speckle in
                out.withUnsafeMutableBufferPointer { out in
                    for y in 0..<height {
                        let depthGain = gain * exp(-attenuation * Float(y) / Float(height))
                        for x in 0..<width {
                            let p = y * width + x
                            let intensity = Swift.max(0, echo[p]) * speckle[p] * depthGain
                            out[p] = (255 * log(1 + dynamic * intensity) / full).clamped(0, 255)
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Converts Hounsfield units to 0-255 display values through a window.
enum Display {
    static func window(_ values: [Float], center: Float, width: Float) -> [Float] {
        let low = center - width / 2
        var out = values
        out.withUnsafeMutableBufferPointer { out in
            for i in 0..<out.count { out[i] = (((out[i] - low) / width) * 255).clamped(0, 255) }
        }
        return out
    }
}

/// Random draws used by every phantom.
extension RandomGenerator {
    /// True with probability `p`.
    mutating func chance(_ p: Float) -> Bool { nextUnit() < p }
    /// A normal draw with mean and deviation.
    mutating func normal(_ mean: Float, _ sd: Float) -> Float { mean + sd * nextNormal() }
}
