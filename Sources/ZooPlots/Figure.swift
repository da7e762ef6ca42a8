import ZooCore
import Foundation
import ZooData

/// A figure as a list of drawing primitives in pixel coordinates (origin top left), with two
/// renderers: SVG written by hand (the primary output, no dependency) and a small rasterizer
/// for PNG (anti-aliasing-free lines, rectangles, discs and a built-in 3x5 pixel font).
///
/// Every primitive carries a `role` that becomes the SVG `class` attribute (`curve`,
/// `legend`, `cell`, `point`, ...), so tests and style sheets can find the parts.
public struct Figure: Sendable {
    /// One thing drawn.
    public enum Primitive: Sendable {
        case polyline(points: [(Double, Double)], stroke: String, width: Double, dash: Bool, role: String)
        case rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String?, role: String)
        case circle(x: Double, y: Double, radius: Double, fill: String, stroke: String?, role: String)
        /// `anchor` is `start`, `middle` or `end`; `vertical` rotates the text by -90 degrees.
        case text(x: Double, y: Double, string: String, size: Double, anchor: String, vertical: Bool, fill: String, role: String)
        /// An RGB picture (values 0-255, HWC) stretched over the box: embedded as a PNG data URI
        /// in the SVG, drawn by nearest neighbour in the raster.
        case image(x: Double, y: Double, width: Double, height: Double, pixels: ImageArray, role: String)
    }

    public let width: Int
    public let height: Int
    public private(set) var primitives: [Primitive] = []
    /// The data-to-pixel mapping of each plot panel, in drawing order.
    public internal(set) var panels: [PlotFrame] = []

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public mutating func add(_ primitive: Primitive) { primitives.append(primitive) }

    /// The figure as a standalone SVG document.
    public var svg: String {
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" font-family="Helvetica, Arial, sans-serif">"#,
            "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>",
        ]
        for primitive in primitives {
            switch primitive {
            case .polyline(let points, let stroke, let width, let dash, let role):
                let d = points.enumerated().map { i, p in (i == 0 ? "M" : "L") + "\(svgNumber(p.0)),\(svgNumber(p.1))" }.joined(separator: " ")
                lines.append(
                    #"<path class="\#(role)" d="\#(d)" fill="none" stroke="\#(stroke)" stroke-width="\#(svgNumber(width))""#
                        + (dash ? #" stroke-dasharray="6,4""# : "") + "/>")
            case .rect(let x, let y, let w, let h, let fill, let stroke, let role):
                lines.append(
                    #"<rect class="\#(role)" x="\#(svgNumber(x))" y="\#(svgNumber(y))" width="\#(svgNumber(w))" height="\#(svgNumber(h))" fill="\#(fill)""#
                        + (stroke.map { #" stroke="\#($0)""# } ?? "") + "/>")
            case .circle(let x, let y, let r, let fill, let stroke, let role):
                lines.append(
                    #"<circle class="\#(role)" cx="\#(svgNumber(x))" cy="\#(svgNumber(y))" r="\#(svgNumber(r))" fill="\#(fill)""#
                        + (stroke.map { #" stroke="\#($0)""# } ?? "") + "/>")
            case .text(let x, let y, let string, let size, let anchor, let vertical, let fill, let role):
                let rotation = vertical ? #" transform="rotate(-90 \#(svgNumber(x)) \#(svgNumber(y)))""# : ""
                lines.append(
                    #"<text class="\#(role)" x="\#(svgNumber(x))" y="\#(svgNumber(y))" font-size="\#(svgNumber(size))" text-anchor="\#(anchor)" fill="\#(fill)"\#(rotation)>"#
                        + xmlEscaped(string) + "</text>")
            case .image(let x, let y, let w, let h, let pixels, let role):
                // An image that cannot be encoded is left out rather than failing the figure.
                guard let data = try? PNG.encode(pixels) else { continue }
                lines.append(
                    #"<image class="\#(role)" x="\#(svgNumber(x))" y="\#(svgNumber(y))" width="\#(svgNumber(w))" height="\#(svgNumber(h))" preserveAspectRatio="none" href="data:image/png;base64,\#(data.base64EncodedString())"/>"#)
            }
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the SVG document.
    public func writeSVG(to url: URL) throws {
        try svg.write(to: url, atomically: true, encoding: .utf8)
    }

    /// The figure rasterized (RGB, 0-255), `scale` pixels per figure unit.
    public func raster(scale: Int = 1) -> ImageArray {
        var canvas = Raster(width: width * scale, height: height * scale)
        let s = Double(scale)
        for primitive in primitives {
            switch primitive {
            case .polyline(let points, let stroke, let width, let dash, _):
                canvas.polyline(points.map { ($0.0 * s, $0.1 * s) }, color: parseHex(stroke), width: width * s, dash: dash ? 6 * s : nil)
            case .rect(let x, let y, let w, let h, let fill, let stroke, _):
                if fill != "none" { canvas.fillRect(x * s, y * s, w * s, h * s, color: parseHex(fill)) }
                if let stroke {
                    let corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)].map { ($0.0 * s, $0.1 * s) }
                    canvas.polyline(corners, color: parseHex(stroke), width: s, dash: nil)
                }
            case .circle(let x, let y, let r, let fill, let stroke, _):
                canvas.fillCircle(x * s, y * s, r * s, color: parseHex(fill))
                if let stroke { canvas.ring(x * s, y * s, r * s, color: parseHex(stroke)) }
            case .text(let x, let y, let string, let size, let anchor, let vertical, let fill, _):
                canvas.text(string, x: x * s, y: y * s, size: size * s, anchor: anchor, vertical: vertical, color: parseHex(fill))
            case .image(let x, let y, let w, let h, let pixels, _):
                canvas.blit(pixels, x: x * s, y: y * s, width: w * s, height: h * s)
            }
        }
        return canvas.image
    }

    /// Writes the rasterized figure as PNG.
    public func writePNG(to url: URL, scale: Int = 1) throws {
        try PNG.write(raster(scale: scale), to: url)
    }
}

/// A number for SVG: at most two decimals, no trailing zeros.
func svgNumber(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() { return String(Int(rounded)) }
    var text = String(format: "%.2f", rounded)
    while text.hasSuffix("0") { text.removeLast() }
    return text
}

/// Text with XML's five special characters escaped.
func xmlEscaped(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&apos;"
        default: result.append(character)
        }
    }
    return result
}

/// `#rrggbb` to components 0-255 (black for anything else).
func parseHex(_ hex: String) -> (Float, Float, Float) {
    guard hex.count == 7, hex.first == "#", let value = Int(hex.dropFirst(), radix: 16) else { return (0, 0, 0) }
    return (Float((value >> 16) & 255), Float((value >> 8) & 255), Float(value & 255))
}
