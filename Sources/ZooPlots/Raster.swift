import ZooCore
import Foundation
import ZooData

/// A minimal RGB canvas for the PNG versions of the plots: square-brush lines, rectangles,
/// discs and a 3x5 pixel font scaled to the text size. Sharp, not anti-aliased.
struct Raster {
    let width: Int
    let height: Int
    var pixels: [Float]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [Float](repeating: 255, count: width * height * 3)
    }

    var image: ImageArray { ImageArray(shape: [height, width, 3], values: pixels) }

    mutating func set(_ x: Int, _ y: Int, _ color: (Float, Float, Float)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.0
        pixels[i + 1] = color.1
        pixels[i + 2] = color.2
    }

    /// `image` (RGB 0-255, HWC) stretched over the box by nearest neighbour.
    mutating func blit(_ image: ImageArray, x: Double, y: Double, width w: Double, height h: Double) {
        let (rows, cols) = (image.shape[0], image.shape[1])
        guard image.shape.count == 3, image.channels == 3, rows > 0, cols > 0, w > 0, h > 0 else { return }
        let (x0, y0) = (Int(x.rounded()), Int(y.rounded()))
        let (x1, y1) = (Int((x + w).rounded()), Int((y + h).rounded()))
        for py in y0..<y1 {
            let r = Swift.min(Int(Double(py - y0) / h * Double(rows)), rows - 1)
            for px in x0..<x1 {
                let c = Swift.min(Int(Double(px - x0) / w * Double(cols)), cols - 1)
                let i = (r * cols + c) * 3
                set(px, py, (image.values[i], image.values[i + 1], image.values[i + 2]))
            }
        }
    }

    mutating func fillRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, color: (Float, Float, Float)) {
        let (x0, y0) = (Int(x.rounded()), Int(y.rounded()))
        let (x1, y1) = (Int((x + w).rounded()), Int((y + h).rounded()))
        guard x1 > x0, y1 > y0 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, color) } }
    }

    mutating func fillCircle(_ cx: Double, _ cy: Double, _ r: Double, color: (Float, Float, Float)) {
        let reach = Int(r.rounded(.up))
        for dy in -reach...reach {
            for dx in -reach...reach where Double(dx * dx + dy * dy) <= r * r {
                set(Int(cx.rounded()) + dx, Int(cy.rounded()) + dy, color)
            }
        }
    }

    mutating func ring(_ cx: Double, _ cy: Double, _ r: Double, color: (Float, Float, Float)) {
        let steps = Swift.max(16, Int(r * 8))
        for i in 0..<steps {
            let a = Double(i) / Double(steps) * 2 * Double.pi
            set(Int((cx + r * cos(a)).rounded()), Int((cy + r * sin(a)).rounded()), color)
        }
    }

    /// Segments between consecutive points, stamped with a square brush; `dash` is the length
    /// of the drawn and of the skipped parts.
    mutating func polyline(_ points: [(Double, Double)], color: (Float, Float, Float), width: Double, dash: Double?) {
        let half = Swift.max(0, Int((width / 2).rounded(.down)))
        var travelled = 0.0
        for (a, b) in zip(points, points.dropFirst()) {
            let length = ((b.0 - a.0) * (b.0 - a.0) + (b.1 - a.1) * (b.1 - a.1)).squareRoot()
            let steps = Swift.max(1, Int(length.rounded(.up)))
            for i in 0...steps {
                let t = Double(i) / Double(steps)
                if let dash, Int((travelled + t * length) / dash) % 2 == 1 { continue }
                let (x, y) = (Int((a.0 + (b.0 - a.0) * t).rounded()), Int((a.1 + (b.1 - a.1) * t).rounded()))
                for dy in -half...half { for dx in -half...half { set(x + dx, y + dy, color) } }
            }
            travelled += length
        }
    }

    /// Text in the 3x5 font, a glyph cell `size / 6` pixels per font pixel (at least 1);
    /// `y` is the baseline as in SVG. Lower case is drawn as upper case; unknown characters
    /// as blanks.
    mutating func text(_ string: String, x: Double, y: Double, size: Double, anchor: String, vertical: Bool, color: (Float, Float, Float)) {
        let unit = Swift.max(1, Int((size / 6).rounded()))
        let advance = 4 * unit
        let length = string.count * advance - unit
        let offset = anchor == "middle" ? length / 2 : anchor == "end" ? length : 0
        for (index, character) in string.uppercased().enumerated() {
            guard let rows = PixelFont.glyphs[character] else { continue }
            for (row, bits) in rows.enumerated() {
                for column in 0..<3 where bits & (4 >> column) != 0 {
                    // Along the text: index * advance + column; across: row (top to baseline).
                    let along = index * advance - offset + column * unit
                    let across = (row - 5) * unit
                    for u in 0..<unit {
                        for v in 0..<unit {
                            if vertical {
                                set(Int(x) + across + v, Int(y) - along - u, color)
                            } else {
                                set(Int(x) + along + u, Int(y) + across + v, color)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A 3x5 pixel font: five rows per glyph, three bits per row (4 = left column).
enum PixelFont {
    static let glyphs: [Character: [Int]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 2, 2], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        "A": [2, 5, 7, 5, 5], "B": [6, 5, 6, 5, 6], "C": [3, 4, 4, 4, 3], "D": [6, 5, 5, 5, 6], "E": [7, 4, 6, 4, 7],
        "F": [7, 4, 6, 4, 4], "G": [3, 4, 5, 5, 3], "H": [5, 5, 7, 5, 5], "I": [7, 2, 2, 2, 7], "J": [1, 1, 1, 5, 2],
        "K": [5, 5, 6, 5, 5], "L": [4, 4, 4, 4, 7], "M": [5, 7, 7, 5, 5], "N": [6, 5, 5, 5, 5], "O": [2, 5, 5, 5, 2],
        "P": [6, 5, 6, 4, 4], "Q": [2, 5, 5, 6, 3], "R": [6, 5, 6, 5, 5], "S": [3, 4, 2, 1, 6], "T": [7, 2, 2, 2, 2],
        "U": [5, 5, 5, 5, 7], "V": [5, 5, 5, 5, 2], "W": [5, 5, 7, 7, 5], "X": [5, 5, 2, 5, 5], "Y": [5, 5, 2, 2, 2],
        "Z": [7, 1, 2, 4, 7], ".": [0, 0, 0, 0, 2], ",": [0, 0, 0, 2, 4], ":": [0, 2, 0, 2, 0], "=": [0, 7, 0, 7, 0],
        "-": [0, 0, 7, 0, 0], "+": [0, 2, 7, 2, 0], "(": [1, 2, 2, 2, 1], ")": [4, 2, 2, 2, 4], "%": [5, 1, 2, 4, 5],
        "/": [1, 1, 2, 4, 4], "_": [0, 0, 0, 0, 7], " ": [0, 0, 0, 0, 0], "[": [3, 2, 2, 2, 3], "]": [6, 2, 2, 2, 6],
    ]
}
