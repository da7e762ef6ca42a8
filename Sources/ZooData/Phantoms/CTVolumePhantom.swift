import Foundation
import ZooCore
import ZooTensor

/// (d) Chest CT volumes (DHWC, Hounsfield units) with zero to several lung tumours and their
/// masks, for the 3D U-Net detection and segmentation task. About a quarter of the scans are
/// tumour-free; tumours are lobulated spheroids of 2 to 9 voxels' radius (at 64^3), some as
/// small as the vessels that run through the lungs (which are the false-positive trap).
/// The label is 1 when the scan holds a tumour.
public struct CTVolumePhantom: PhantomDataset {
    public let count: Int
    public let seed: UInt64
    /// [depth, height, width].
    public let shape: [Int]
    public let tumourFreeFraction: Float
    public let maxTumours: Int
    public let intensity: CTIntensity
    public let classNames = ["no_tumour", "tumour"]

    public init(count: Int, seed: UInt64 = 0, shape: [Int] = [64, 64, 64], tumourFreeFraction: Float = 0.25, maxTumours: Int = 4,
                intensity: CTIntensity = .hounsfield) {
        self.count = count
        self.seed = seed
        self.shape = shape
        self.tumourFreeFraction = tumourFreeFraction
        self.maxTumours = maxTumours
        self.intensity = intensity
    }

    public func info(at index: Int) -> SampleInfo {
        SampleInfo(id: String(format: "scan_%04d", index), label: drawLabel(index, positive: 1 - tumourFreeFraction),
                   group: String(format: "patient_%04d", index))
    }

    public func sample(at index: Int) throws -> Sample {
        let info = info(at: index)
        var random = generator(index)
        let (d, h, w) = (shape[0], shape[1], shape[2])
        let (D, H, W) = (Float(d), Float(h), Float(w))
        var volume = [Float](repeating: -1000, count: d * h * w)
        var lungs = [Float](repeating: 0, count: d * h * w)
        let bodyRy = H * random.nextUniform(0.36, 0.42), bodyRx = W * random.nextUniform(0.42, 0.47)
        let lungRy = bodyRy * random.nextUniform(0.7, 0.8), lungRx = bodyRx * random.nextUniform(0.35, 0.42)
        let lungRz = D * random.nextUniform(0.4, 0.47)
        let lungX = [W / 2 - bodyRx * 0.47, W / 2 + bodyRx * 0.47], lungHU = random.nextUniform(-880, -820)
        for z in 0..<d {
            let fz = (Float(z) - D / 2) / lungRz
            for y in 0..<h {
                for x in 0..<w {
                    let p = (z * h + y) * w + x
                    let by = (Float(y) - H / 2) / bodyRy, bx = (Float(x) - W / 2) / bodyRx
                    if by * by + bx * bx > 1 { continue }
                    volume[p] = by * by + bx * bx > 0.85 ? -100 : 40
                    if ((Float(y) - H * 0.8) / (H * 0.06)).magnitude < 1 && ((Float(x) - W / 2) / (W * 0.06)).magnitude < 1 { volume[p] = 500 }
                    for lx in lungX {
                        let ly = (Float(y) - H * 0.47) / lungRy, lxx = (Float(x) - lx) / lungRx
                        if ly * ly + lxx * lxx + fz * fz < 1 {
                            volume[p] = lungHU
                            lungs[p] = 1
                        }
                    }
                }
            }
        }
        var mask = [Float](repeating: 0, count: d * h * w)
        // Vessels: tubes wandering through the lungs along z.
        let unit = W / 64
        for _ in 0..<(8 + random.nextInt(below: 8)) {
            var (y, x) = (H * random.nextUniform(0.3, 0.65), lungX[random.nextInt(below: 2)] + random.nextUniform(-0.6, 0.6) * lungRx)
            let radius = unit * random.nextUniform(0.6, 1.6)
            for z in 0..<d {
                sphere(&volume, &mask, lungs, (Float(z), y, x), radius, value: random.nextUniform(-50, 50), lobes: [], tumour: false)
                y += random.nextUniform(-0.5, 0.5) * unit
                x += random.nextUniform(-0.5, 0.5) * unit
            }
        }
        if info.label == 1 {
            for _ in 0..<(1 + random.nextInt(below: Swift.max(1, maxTumours))) {
                let side = random.nextInt(below: 2)
                let t = random.nextUniform(0, 2 * .pi), r = random.nextUnit().squareRoot() * 0.7
                let centre = (D / 2 + random.nextUniform(-0.6, 0.6) * lungRz, H * 0.47 + lungRy * r * sin(t), lungX[side] + lungRx * r * cos(t))
                let radius = unit * exp(random.nextUniform(log(2), log(9)))
                let lobes = (0..<3).map { _ in (random.nextUniform(0, 0.25), random.nextUniform(0, 6.28), Float(2 + random.nextInt(below: 3))) }
                sphere(&volume, &mask, lungs, centre, radius, value: random.normal(35, 15), lobes: lobes, tumour: true)
            }
        }
        var noise = RandomGenerator(seed: SeedMix.mix(seed, UInt64(index), 7))
        let sigma = random.nextUniform(10, 40)
        for i in 0..<volume.count { volume[i] += sigma * noise.nextNormal() }
        let image = ImageArray(shape: [d, h, w, 1], values: intensity.apply(volume))
        return Sample(image: image, label: info.label, mask: ImageArray(shape: [d, h, w, 1], values: mask), info: info,
                      spacing: [Float(64) / D * 2.5, Float(64) / H * 1.5, Float(64) / W * 1.5])
    }

    /// Paints a lobulated ball: a tumour (value inside, 1 in the mask) or a vessel (value
    /// inside, confined to the lungs, not in the mask).
    func sphere(_ volume: inout [Float], _ mask: inout [Float], _ lungs: [Float], _ c: (Float, Float, Float),
                _ radius: Float, value: Float, lobes: [(Float, Float, Float)], tumour: Bool) {
        let (d, h, w) = (shape[0], shape[1], shape[2])
        let reach = Int(radius * 1.8) + 1
        // The ball's box clipped to the volume; a ball wholly outside paints nothing.
        let (z0, z1) = (Swift.max(0, Int(c.0) - reach), Swift.min(d - 1, Int(c.0) + reach))
        let (y0, y1) = (Swift.max(0, Int(c.1) - reach), Swift.min(h - 1, Int(c.1) + reach))
        let (x0, x1) = (Swift.max(0, Int(c.2) - reach), Swift.min(w - 1, Int(c.2) + reach))
        guard z0 <= z1, y0 <= y1, x0 <= x1 else { return }
        for z in z0...z1 {
            for y in y0...y1 {
                for x in x0...x1 {
                    let dz = Float(z) - c.0, dy = Float(y) - c.1, dx = Float(x) - c.2
                    let distance = (dz * dz + dy * dy + dx * dx).squareRoot()
                    var r: Float = 1
                    if !lobes.isEmpty {
                        let theta = atan2(dy, dx), phi = atan2(dz, (dy * dy + dx * dx).squareRoot())
                        for lobe in lobes { r += lobe.0 * cos(lobe.2 * theta + lobe.1) * cos(lobe.2 * phi) }
                    }
                    guard distance <= radius * r else { continue }
                    let p = (z * h + y) * w + x
                    if !tumour && lungs[p] == 0 { continue }
                    volume[p] = value
                    if tumour { mask[p] = 1 }
                }
            }
        }
    }
}
