/// `#rrggbb` of components in [0, 1], as SVG writes a colour.
public func rgbHex(_ r: Float, _ g: Float, _ b: Float) -> String {
    let bytes = [r, g, b].map { Int((Swift.min(Swift.max($0, 0), 1) * 255).rounded()) }
    return "#" + bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
