import Foundation
import ZooTensor

/// An axial chest CT slice in Hounsfield units: body, fat, lungs with vessels, heart,
/// spine and ribs; with the lung field as a 0/1 map so lesions can be confined to it.
struct ChestSlice {
    var canvas: Canvas
    var lungs: [Float]
    /// Lung centres and radii (y, x, ry, rx), for placing lesions.
    var lungBoxes: [(Float, Float, Float, Float)]

    init(height h: Int, width w: Int, _ random: inout RandomGenerator) {
        let H = Float(h), W = Float(w)
        canvas = Canvas(height: h, width: w, value: -1000)
        let bodyRy = H * random.nextUniform(0.34, 0.42), bodyRx = W * random.nextUniform(0.42, 0.48)
        let cy = H * random.nextUniform(0.48, 0.53), cx = W * 0.5 + random.nextUniform(-3, 3)
        canvas.paint(RadialShape(centerY: cy, centerX: cx, radius: bodyRx, aspect: bodyRy / bodyRx), value: -100, softness: 1.5)
        let fat = random.nextUniform(0.04, 0.1)
        canvas.paint(RadialShape(centerY: cy, centerX: cx, radius: bodyRx * (1 - fat), aspect: bodyRy / bodyRx), value: 40, softness: 1.5)
        // Ribs: bright dots around the inner body wall.
        let ribs = 10 + random.nextInt(below: 6)
        for i in 0..<ribs {
            let t = Float(i) / Float(ribs) * 2 * .pi + random.nextUniform(-0.1, 0.1)
            if sin(t) > 0.75 { continue }  // none over the sternum/spine gap at the top
            let ry = bodyRy * (1 - fat) * 0.9, rx = bodyRx * (1 - fat) * 0.9
            canvas.paint(RadialShape(centerY: cy + ry * sin(t), centerX: cx + rx * cos(t), radius: W * 0.012, aspect: 1.6, rotation: t),
                         value: random.nextUniform(300, 700), softness: 1)
        }
        // Lungs.
        lungs = [Float](repeating: 0, count: h * w)
        lungBoxes = []
        var lungCanvas = Canvas(height: h, width: w, value: 0)
        for side in [-1, 1] as [Float] {
            let ry = bodyRy * random.nextUniform(0.68, 0.8), rx = bodyRx * random.nextUniform(0.34, 0.42)
            let ly = cy - bodyRy * 0.05, lx = cx + side * bodyRx * random.nextUniform(0.42, 0.5)
            var shape = RadialShape(centerY: ly, centerX: lx, radius: rx, aspect: ry / rx)
            shape.harmonics = [(2, random.nextUniform(0.02, 0.08), side > 0 ? 0 : .pi), (3, random.nextUniform(0, 0.05), random.nextUniform(0, 6.28))]
            lungCanvas.paint(shape, value: 1, softness: 1)
            lungBoxes.append((ly, lx, ry, rx))
        }
        lungs = lungCanvas.pixels
        let texture = Canvas.smoothNoise(height: h, width: w, cell: 12, amplitude: 25, &random)
        let lungHU = random.nextUniform(-880, -820)
        canvas.pixels.withUnsafeMutableBufferPointer { out in
            for i in 0..<out.count where lungs[i] > 0 {
                out[i] += lungs[i] * (lungHU + texture[i] - out[i])
            }
        }
        // Heart and mediastinum between the lungs, spine behind.
        canvas.paint(RadialShape(centerY: cy + bodyRy * 0.15, centerX: cx + W * 0.03, radius: bodyRx * 0.3, aspect: 0.85, rotation: 0.4),
                     value: 45, softness: 2)
        canvas.paint(RadialShape(centerY: cy - bodyRy * 0.25, centerX: cx, radius: W * 0.035), value: 50, softness: 1)  // aorta
        canvas.paint(RadialShape(centerY: cy + bodyRy * 0.72, centerX: cx, radius: W * 0.055), value: random.nextUniform(400, 700), softness: 1)
        canvas.paint(RadialShape(centerY: cy + bodyRy * 0.72, centerX: cx, radius: W * 0.03), value: 200, softness: 1)
        // The heart overwrote some lung: the field is where the canvas is still lung-dark.
        for i in 0..<lungs.count where canvas.pixels[i] > -500 { lungs[i] = 0 }
        // Vessels: small bright dots and short branches, denser near the hila.
        for box in lungBoxes {
            for _ in 0..<(14 + random.nextInt(below: 14)) {
                let t = random.nextUniform(0, 2 * .pi), r = random.nextUnit().squareRoot() * 0.9
                let y = box.0 + box.2 * r * sin(t), x = box.1 + box.3 * r * cos(t)
                let size = W * random.nextUniform(0.003, 0.011) * (1.4 - r * 0.7)
                let vessel = RadialShape(centerY: y, centerX: x, radius: size, aspect: random.chance(0.5) ? random.nextUniform(1, 4) : 1,
                                         rotation: random.nextUniform(0, .pi))
                canvas.paint(vessel, value: random.nextUniform(-150, 40), softness: 0.8, weights: lungs)
            }
        }
    }
}
