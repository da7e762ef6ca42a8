import Foundation
import ZooCore
import ZooTensor

/// (e) LIDC-style 124x124 nodule patches, benign versus malignant, imbalanced (about 30%
/// malignant by default), as the small-CNN study used. Benign nodules are smaller, smooth,
/// round and often calcified; malignant ones larger, lobulated, often spiculated or
/// part-solid. Sizes and shapes overlap; some nodules touch the pleura.
public struct NodulePatchPhantom: PhantomDataset {
    public let count: Int
    public let seed: UInt64
    public let size: Int
    public let malignantFraction: Float
    public let intensity: CTIntensity
    public let classNames = ["benign", "malignant"]

    public init(count: Int, seed: UInt64 = 0, size: Int = 124, malignantFraction: Float = 0.3, intensity: CTIntensity = .lungWindow) {
        self.count = count
        self.seed = seed
        self.size = size
        self.malignantFraction = malignantFraction
        self.intensity = intensity
    }

    public func info(at index: Int) -> SampleInfo {
        SampleInfo(id: String(format: "nodule_%05d", index), label: drawLabel(index, positive: malignantFraction),
                   group: String(format: "patient_%05d", index / 2))
    }

    public func sample(at index: Int) throws -> Sample {
        let info = info(at: index)
        var random = generator(index)
        let s = Float(size), scale = s / 124
        var canvas = Canvas(height: size, width: size, value: random.nextUniform(-880, -820))
        canvas.add(Canvas.smoothNoise(height: size, width: size, cell: 10, amplitude: 30, &random))
        for _ in 0..<(6 + random.nextInt(below: 10)) {  // vessels
            let vessel = RadialShape(centerY: random.nextUniform(0, s), centerX: random.nextUniform(0, s), radius: scale * random.nextUniform(0.8, 2.5),
                                     aspect: random.nextUniform(1, 6), rotation: random.nextUniform(0, .pi))
            canvas.paint(vessel, value: random.nextUniform(-200, 40), softness: 0.8)
        }
        if random.chance(0.2) {  // chest wall along one edge (juxtapleural nodule)
            let wall = RadialShape(centerY: s * 0.5, centerX: s * 1.9, radius: s * random.nextUniform(1.05, 1.25), rotation: random.nextUniform(0, 2 * .pi))
            canvas.paint(wall, value: 40, softness: 1)
        }
        let malignant = info.label == 1
        let radius = scale * (malignant ? exp(random.nextUniform(log(5), log(20))) : exp(random.nextUniform(log(3), log(12))))
        var shape = RadialShape(centerY: s / 2 + random.nextUniform(-6, 6) * scale, centerX: s / 2 + random.nextUniform(-6, 6) * scale,
                                radius: radius, aspect: random.nextUniform(0.8, 1.25), rotation: random.nextUniform(0, .pi))
        shape.harmonics = RadialShape.harmonics(3, amount: malignant ? random.nextUniform(0.05, 0.3) : random.nextUniform(0, 0.12), &random)
        if random.chance(malignant ? 0.6 : 0.12) {
            shape.spikes = RadialShape.spikes(3 + random.nextInt(below: 10), length: radius * random.nextUniform(0.3, 1.0), width: 0.1, &random)
        }
        if random.chance(malignant ? 0.25 : 0.08) {  // ground-glass component
            var halo = shape
            halo.radius *= random.nextUniform(1.3, 1.9)
            halo.spikes = []
            canvas.paint(halo, value: random.nextUniform(-650, -400), softness: 2.5 * scale)
        }
        let texture = Canvas.smoothNoise(height: size, width: size, cell: 4, amplitude: 15, &random)
        canvas.paint(shape, value: random.normal(25, 18), softness: random.nextUniform(0.6, 1.8) * scale, texture: texture)
        if random.chance(malignant ? 0.05 : 0.35) {  // calcification: central, diffuse or popcorn
            let spots = random.chance(0.5) ? 1 : 2 + random.nextInt(below: 4)
            for _ in 0..<spots {
                let spot = RadialShape(centerY: shape.centerY + random.nextUniform(-0.4, 0.4) * radius * (spots > 1 ? 1 : 0),
                                       centerX: shape.centerX + random.nextUniform(-0.4, 0.4) * radius * (spots > 1 ? 1 : 0),
                                       radius: radius * random.nextUniform(0.15, spots > 1 ? 0.3 : 0.55))
                canvas.paint(spot, value: random.nextUniform(200, 800), softness: 0.8)
            }
        }
        canvas.addNoise(random.nextUniform(10, 50), &random)
        let image = ImageArray(shape: [size, size, 1], values: intensity.apply(canvas.pixels))
        return Sample(image: image, label: info.label, info: info, spacing: [0.7, 0.7])
    }
}
