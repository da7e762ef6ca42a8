import ZooPlots

/// Colour maps for heat-maps: a value in [0, 1] to an RGB colour with components in [0, 1].
public enum Colormap: String, Sendable, CaseIterable {
    /// MATLAB's jet (blue, cyan, yellow, red), the map of most Grad-CAM figures.
    case jet
    /// matplotlib's viridis (dark purple to yellow), perceptually uniform and legible in gray.
    case viridis

    /// matplotlib's viridis at ten evenly spaced points (#440154 ... #FDE725), interpolated.
    static let viridisAnchors: [(Float, Float, Float)] = {
        let hex: [Int] = [0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725]
        return hex.map { value -> (Float, Float, Float) in
            (Float((value >> 16) & 255) / 255, Float((value >> 8) & 255) / 255, Float(value & 255) / 255)
        }
    }()

    /// The colour of `value` (clamped to [0, 1]; NaN counts as 0).
    public func color(_ value: Float) -> (red: Float, green: Float, blue: Float) {
        let t = value.isNaN ? 0 : Swift.min(Swift.max(value, 0), 1)
        switch self {
        case .jet:
            // Piecewise linear: each channel is a trapezoid centred a quarter apart.
            func ramp(_ centre: Float) -> Float { Swift.min(Swift.max(1.5 - abs(4 * t - centre), 0), 1) }
            return (ramp(3), ramp(2), ramp(1))
        case .viridis:
            let anchors = Colormap.viridisAnchors
            let position = t * Float(anchors.count - 1)
            let i = Swift.min(Int(position), anchors.count - 2)
            let w = position - Float(i)
            let (a, b) = (anchors[i], anchors[i + 1])
            return (a.0 + (b.0 - a.0) * w, a.1 + (b.1 - a.1) * w, a.2 + (b.2 - a.2) * w)
        }
    }

    /// The colour as a `#rrggbb` string, for SVG.
    public func hex(_ value: Float) -> String {
        let c = color(value)
        return rgbHex(c.red, c.green, c.blue)
    }
}
