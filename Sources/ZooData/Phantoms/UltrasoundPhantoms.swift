import Foundation
import ZooCore
import ZooTensor

/// A lesion's look on ultrasound, drawn from overlapping class-conditional distributions.
struct LesionLook {
    var shape: RadialShape
    var echo: Float
    var softness: Float
    var heterogeneity: Float
    var necrosis: Bool
    var calcifications: Int

    /// Benign: regular oval, sharp margin, homogeneous, moderately hypoechoic. Malignant:
    /// irregular, lobulated or spiculated, blurred margin, darker and heterogeneous, with
    /// necrosis or calcification more often. Every feature overlaps between the classes.
    static func draw(malignant: Bool, centerY: Float, centerX: Float, radius: Float, calcificationRate: (Float, Float),
                     _ random: inout RandomGenerator) -> LesionLook {
        var shape = RadialShape(centerY: centerY, centerX: centerX, radius: radius,
                                aspect: random.nextUniform(0.55, malignant ? 1.1 : 0.9), rotation: random.nextUniform(-0.3, 0.3))
        let irregular = malignant ? random.nextUniform(0.06, 0.32) : random.nextUniform(0.0, 0.16)
        shape.harmonics = RadialShape.harmonics(4, amount: irregular, &random)
        if random.chance(malignant ? 0.45 : 0.08) {
            shape.spikes = RadialShape.spikes(3 + random.nextInt(below: 7), length: radius * random.nextUniform(0.15, 0.5), width: 0.15, &random)
        }
        return LesionLook(
            shape: shape,
            echo: malignant ? random.nextUniform(0.1, 0.45) : random.nextUniform(0.2, 0.6),
            softness: malignant ? random.nextUniform(1.5, 7) : random.nextUniform(0.8, 3),
            heterogeneity: malignant ? random.nextUniform(0.1, 0.35) : random.nextUniform(0.02, 0.18),
            necrosis: random.chance(malignant ? 0.45 : 0.12),
            calcifications: random.chance(malignant ? calcificationRate.1 : calcificationRate.0) ? 1 + random.nextInt(below: 4) : 0)
    }

    /// Paints the lesion into a reflectivity map; returns its coverage.
    func paint(_ echoMap: inout Canvas, size: Int, _ random: inout RandomGenerator) -> [Float] {
        let texture = Canvas.smoothNoise(height: size, width: size, cell: 6, amplitude: heterogeneity, &random)
        let cover = echoMap.paint(shape, value: echo, softness: softness, coverage: true, texture: texture)!
        let r = shape.radius
        if necrosis {
            for _ in 0..<(1 + random.nextInt(below: 2)) {
                var core = RadialShape(centerY: shape.centerY + random.nextUniform(-0.3, 0.3) * r, centerX: shape.centerX + random.nextUniform(-0.3, 0.3) * r,
                                       radius: r * random.nextUniform(0.15, 0.4))
                core.harmonics = RadialShape.harmonics(2, amount: 0.2, &random)
                echoMap.paint(core, value: 0.02, softness: 1.5)
            }
            // Posterior enhancement below fluid: sound passes it with little loss.
            enhanceBelow(&echoMap, x: shape.centerX, from: shape.centerY + r, halfWidth: r * 0.5, factor: 1.35)
        }
        for _ in 0..<calcifications {
            let y = shape.centerY + random.nextUniform(-0.5, 0.5) * r, x = shape.centerX + random.nextUniform(-0.5, 0.5) * r
            echoMap.paint(RadialShape(centerY: y, centerX: x, radius: random.nextUniform(1, 2.5)), value: 3, softness: 0.7)
            enhanceBelow(&echoMap, x: x, from: y + 3, halfWidth: 2.5, factor: 0.35)  // acoustic shadow
        }
        return cover
    }

    /// Multiplies a column below a point (posterior enhancement > 1, shadow < 1).
    func enhanceBelow(_ canvas: inout Canvas, x: Float, from y: Float, halfWidth: Float, factor: Float) {
        let w = canvas.width
        let x0 = Swift.max(0, Int(x - halfWidth)), x1 = Swift.min(w - 1, Int(x + halfWidth))
        // A lesion near the bottom edge has nothing below it (an empty range, not an inverted one).
        let firstRow = Swift.max(0, Int(y))
        guard x0 <= x1, firstRow < canvas.height else { return }
        for row in firstRow..<canvas.height {
            for col in x0...x1 { canvas.pixels[row * w + col] *= factor }
        }
    }
}

/// A phantom of one lesion per image, benign or malignant: one patient per sample, labels
/// drawn with the malignant fraction.
public protocol LesionPhantom: PhantomDataset {
    var malignantFraction: Float { get }
    /// Prefix of the sample ids (`lus_00001`).
    static var idPrefix: String { get }
}

extension LesionPhantom {
    public var classNames: [String] { ["benign", "malignant"] }

    public func info(at index: Int) -> SampleInfo {
        SampleInfo(id: String(format: "%@_%05d", Self.idPrefix, index), label: drawLabel(index, positive: malignantFraction),
                   group: String(format: "patient_%05d", index))
    }
}

/// (b) Lung ultrasound regions of interest, benign versus malignant peripheral lesions (the
/// ResNet study's task): chest-wall layers, the pleural line with reverberation artefacts
/// below, and a subpleural lesion whose shape, margin, echogenicity and necrosis depend on
/// the class with overlapping distributions; speckle throughout.
public struct LungUltrasoundPhantom: LesionPhantom {
    public let count: Int
    public let seed: UInt64
    public let size: Int
    public let malignantFraction: Float

    public init(count: Int, seed: UInt64 = 0, size: Int = 224, malignantFraction: Float = 0.5) {
        self.count = count
        self.seed = seed
        self.size = size
        self.malignantFraction = malignantFraction
    }

    public static let idPrefix = "lus"

    public func sample(at index: Int) throws -> Sample {
        let info = info(at: index)
        var random = generator(index)
        let s = Float(size)
        var echo = Canvas(height: size, width: size, value: 0)
        let wall = s * random.nextUniform(0.15, 0.25)
        // Chest wall: horizontal layers of skin, fat and muscle.
        var depth: Float = 0
        while depth < wall {
            let thickness = s * random.nextUniform(0.02, 0.06)
            let value = random.nextUniform(0.35, 0.9)
            for y in Int(depth)..<Swift.min(size, Int(depth + thickness)) { for x in 0..<size { echo.pixels[y * size + x] = value } }
            depth += thickness
        }
        // Pleural line and A-line reverberations of aerated lung below it.
        for y in Int(wall)..<size {
            let d = Float(y) - wall
            let line = d < 2.5 ? 1.6 : (d.truncatingRemainder(dividingBy: wall) < 2 ? 0.7 * exp(-d / (1.5 * wall)) : 0.08)
            for x in 0..<size { echo.pixels[y * size + x] = line }
        }
        let malignant = info.label == 1
        let radius = s * random.nextUniform(0.14, 0.3)
        let look = LesionLook.draw(malignant: malignant, centerY: wall + radius * random.nextUniform(0.7, 1.1),
                                   centerX: s * random.nextUniform(0.35, 0.65), radius: radius, calcificationRate: (0.05, 0.1), &random)
        _ = look.paint(&echo, size: size, &random)
        let speckle = Ultrasound.speckle(height: size, width: size, &random)
        let pixels = Ultrasound.display(echo.pixels, speckle: speckle, height: size, width: size,
                                        attenuation: random.nextUniform(0.3, 1.0), gain: random.nextUniform(0.8, 1.3))
        return Sample(image: ImageArray(shape: [size, size, 1], values: pixels), label: info.label, info: info)
    }
}

/// (c) Parotid ultrasound with lesion masks, benign versus malignant (the parotid study's
/// task): skin, subcutaneous fat, bright homogeneous gland, deep muscle, and one lesion
/// (regular or irregular shape, clear or unclear margin, calcification, cystic/necrotic
/// areas, posterior enhancement). The mask marks the lesion (coverage > 0.5).
public struct ParotidUltrasoundPhantom: LesionPhantom {
    public let count: Int
    public let seed: UInt64
    public let size: Int
    public let malignantFraction: Float

    public init(count: Int, seed: UInt64 = 0, size: Int = 224, malignantFraction: Float = 0.3) {
        self.count = count
        self.seed = seed
        self.size = size
        self.malignantFraction = malignantFraction
    }

    public static let idPrefix = "parotid"

    public func sample(at index: Int) throws -> Sample {
        let info = info(at: index)
        var random = generator(index)
        let s = Float(size)
        var echo = Canvas(height: size, width: size, value: 0)
        let skin = s * random.nextUniform(0.02, 0.04), fat = skin + s * random.nextUniform(0.05, 0.12)
        let glandBottom = s * random.nextUniform(0.75, 0.9)
        let glandEcho = random.nextUniform(0.7, 1.0)
        let glandTexture = Canvas.smoothNoise(height: size, width: size, cell: 10, amplitude: 0.1, &random)
        for y in 0..<size {
            let fy = Float(y)
            for x in 0..<size {
                let p = y * size + x
                echo.pixels[p] = fy < skin ? 1.2 : fy < fat ? 0.35 : fy < glandBottom ? glandEcho + glandTexture[p] : 0.45
            }
        }
        let malignant = info.label == 1
        let radius = s * random.nextUniform(0.1, 0.24)
        let look = LesionLook.draw(malignant: malignant, centerY: random.nextUniform(fat + radius, Swift.max(fat + radius + 1, glandBottom - radius * 0.5)),
                                   centerX: s * random.nextUniform(0.3, 0.7), radius: radius, calcificationRate: (0.08, 0.35), &random)
        let cover = look.paint(&echo, size: size, &random)
        if !malignant || random.chance(0.3) {
            look.enhanceBelow(&echo, x: look.shape.centerX, from: look.shape.centerY + radius, halfWidth: radius * 0.6, factor: random.nextUniform(1.05, 1.4))
        }
        let speckle = Ultrasound.speckle(height: size, width: size, &random)
        let pixels = Ultrasound.display(echo.pixels, speckle: speckle, height: size, width: size,
                                        attenuation: random.nextUniform(0.3, 0.9), gain: random.nextUniform(0.8, 1.2))
        let mask = ImageArray(shape: [size, size, 1], values: cover.map { $0 > 0.5 ? 1 : 0 })
        return Sample(image: ImageArray(shape: [size, size, 1], values: pixels), label: info.label, mask: mask, info: info)
    }
}
