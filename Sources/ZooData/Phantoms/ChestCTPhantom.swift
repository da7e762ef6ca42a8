import Foundation
import ZooCore
import ZooTensor

/// (a) Axial chest CT slices, lung cancer versus pneumonia (the nine-CNN study's task).
///
/// Cancer: one or two solid lesions (nodule to mass, 30 +- 15 HU), lobulated, usually with
/// spiculated margins, sometimes a ground-glass halo or a little effusion. Pneumonia: one to
/// four consolidation (-150 to 30 HU) and ground-glass (-750 to -450 HU) patches, often
/// peripheral and bilateral, with air bronchograms. The classes overlap on purpose: some
/// cancers are smooth with a ground-glass component, some pneumonias are a single round
/// focus; noise and lesion size vary. Slices come in patients (`slicesPerPatient`) that
/// share their diagnosis, so grouped splits have something to group.
public struct ChestCTPhantom: PhantomDataset {
    public let count: Int
    public let seed: UInt64
    /// Slice height and width.
    public let size: Int
    public let slicesPerPatient: Int
    /// Fraction of patients with cancer.
    public let cancerFraction: Float
    public let intensity: CTIntensity
    public let classNames = ["cancer", "pneumonia"]

    public init(count: Int, seed: UInt64 = 0, size: Int = 224, slicesPerPatient: Int = 4, cancerFraction: Float = 0.5,
                intensity: CTIntensity = .lungWindow) {
        self.count = count
        self.seed = seed
        self.size = size
        self.slicesPerPatient = Swift.max(1, slicesPerPatient)
        self.cancerFraction = cancerFraction
        self.intensity = intensity
    }

    func patient(_ index: Int) -> Int { index / slicesPerPatient }

    public func info(at index: Int) -> SampleInfo {
        let patient = patient(index)
        let label = drawLabel(patient, positive: 1 - cancerFraction)  // 1 = pneumonia
        return SampleInfo(id: String(format: "ct_%05d", index), label: label, group: String(format: "patient_%04d", patient))
    }

    public func sample(at index: Int) throws -> Sample {
        let info = info(at: index)
        var random = generator(index)
        var chest = ChestSlice(height: size, width: size, &random)
        let scale = Float(size) / 224
        if info.label == 0 { paintCancer(&chest, scale: scale, &random) } else { paintPneumonia(&chest, scale: scale, &random) }
        chest.canvas.add(Canvas.smoothNoise(height: size, width: size, cell: 6, amplitude: random.nextUniform(5, 25), &random))
        chest.canvas.addNoise(random.nextUniform(8, 45), &random)
        let image = ImageArray(shape: [size, size, 1], values: intensity.apply(chest.canvas.pixels))
        return Sample(image: image, label: info.label, info: info, spacing: [0.7 / scale, 0.7 / scale])
    }

    /// A point in a lung, `depth` from 0 (centre) to 1 (pleura).
    func lungPoint(_ chest: ChestSlice, depth: Float, _ random: inout RandomGenerator) -> (Float, Float, Int) {
        let side = random.nextInt(below: 2)
        let box = chest.lungBoxes[side]
        let t = random.nextUniform(0, 2 * .pi)
        return (box.0 + box.2 * depth * sin(t), box.1 + box.3 * depth * cos(t), side)
    }

    func paintCancer(_ chest: inout ChestSlice, scale: Float, _ random: inout RandomGenerator) {
        let lesions = random.chance(0.2) ? 2 : 1
        for _ in 0..<lesions {
            let radius = scale * exp(random.nextUniform(log(4), log(26)))
            let (y, x, _) = lungPoint(chest, depth: random.nextUniform(0.1, 0.75), &random)
            var shape = RadialShape(centerY: y, centerX: x, radius: radius, aspect: random.nextUniform(0.8, 1.25), rotation: random.nextUniform(0, .pi))
            shape.harmonics = RadialShape.harmonics(3, amount: random.nextUniform(0.03, 0.25), &random)
            if random.chance(0.7) {
                shape.spikes = RadialShape.spikes(4 + random.nextInt(below: 12), length: radius * random.nextUniform(0.3, 1.1), width: 0.09, &random)
            }
            if random.chance(0.25) {  // ground-glass halo (part-solid)
                var halo = shape
                halo.radius *= random.nextUniform(1.3, 1.8)
                halo.spikes = []
                chest.canvas.paint(halo, value: random.nextUniform(-600, -420), softness: 3 * scale, weights: chest.lungs)
            }
            let texture = Canvas.smoothNoise(height: size, width: size, cell: 4, amplitude: 15, &random)
            chest.canvas.paint(shape, value: random.normal(30, 15), softness: random.nextUniform(0.7, 1.8) * scale, texture: texture)
        }
        if random.chance(0.15) { paintEffusion(&chest, scale: scale, &random) }
        if random.chance(0.12) { paintPatch(&chest, consolidation: true, scale: scale, &random) }  // obstructive pneumonitis
    }

    func paintPneumonia(_ chest: inout ChestSlice, scale: Float, _ random: inout RandomGenerator) {
        if random.chance(0.2) {
            // Round pneumonia: one focal, fairly sharp consolidation, a cancer mimic.
            let (y, x, _) = lungPoint(chest, depth: random.nextUniform(0.3, 0.8), &random)
            var shape = RadialShape(centerY: y, centerX: x, radius: scale * random.nextUniform(8, 22), aspect: random.nextUniform(0.8, 1.3))
            shape.harmonics = RadialShape.harmonics(3, amount: random.nextUniform(0.05, 0.25), &random)
            if random.chance(0.3) { shape.spikes = RadialShape.spikes(3 + random.nextInt(below: 4), length: shape.radius * 0.4, width: 0.12, &random) }
            chest.canvas.paint(shape, value: random.nextUniform(-60, 35), softness: random.nextUniform(1, 3) * scale, weights: chest.lungs)
            return
        }
        let patches = 1 + random.nextInt(below: 4)
        for _ in 0..<patches { paintPatch(&chest, consolidation: random.chance(0.55), scale: scale, &random) }
        if random.chance(0.1) { paintEffusion(&chest, scale: scale, &random) }
    }

    /// A consolidation (with air bronchograms) or ground-glass patch, peripheral by
    /// preference and confined to the lung.
    func paintPatch(_ chest: inout ChestSlice, consolidation: Bool, scale: Float, _ random: inout RandomGenerator) {
        let (y, x, _) = lungPoint(chest, depth: random.nextUniform(0.45, 1.0), &random)
        var shape = RadialShape(centerY: y, centerX: x, radius: scale * random.nextUniform(12, 38), aspect: random.nextUniform(0.6, 1.6),
                                rotation: random.nextUniform(0, .pi))
        shape.harmonics = RadialShape.harmonics(4, amount: random.nextUniform(0.15, 0.4), &random)
        let value = consolidation ? random.nextUniform(-150, 30) : random.nextUniform(-750, -450)
        let texture = Canvas.smoothNoise(height: size, width: size, cell: 5, amplitude: consolidation ? 40 : 60, &random)
        chest.canvas.paint(shape, value: value, softness: random.nextUniform(2, 8) * scale, weights: chest.lungs, texture: texture)
        guard consolidation, random.chance(0.75) else { return }
        // Air bronchograms: dark branching tubes inside the patch.
        for _ in 0..<(1 + random.nextInt(below: 3)) {
            var angle = random.nextUniform(0, 2 * .pi)
            var (by, bx) = (y + random.nextUniform(-0.3, 0.3) * shape.radius, x + random.nextUniform(-0.3, 0.3) * shape.radius)
            for _ in 0..<Int(shape.radius / scale / 1.5) {
                let tube = RadialShape(centerY: by, centerX: bx, radius: scale * random.nextUniform(0.8, 1.4))
                chest.canvas.paint(tube, value: -900, softness: 0.6, weights: chest.lungs)
                by += 1.5 * scale * sin(angle)
                bx += 1.5 * scale * cos(angle)
                angle += random.nextUniform(-0.2, 0.2)
            }
        }
    }

    /// A dependent (posterior) fluid crescent at one lung base.
    func paintEffusion(_ chest: inout ChestSlice, scale: Float, _ random: inout RandomGenerator) {
        let box = chest.lungBoxes[random.nextInt(below: 2)]
        let shape = RadialShape(centerY: box.0 + box.2 * 0.95, centerX: box.1, radius: box.3 * random.nextUniform(0.6, 0.9), aspect: 0.35)
        chest.canvas.paint(shape, value: random.nextUniform(0, 20), softness: 1.5 * scale, weights: chest.lungs)
    }
}
