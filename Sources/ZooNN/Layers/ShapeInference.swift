import ZooCore
import ZooTensor

// What the layers' `computeOutputShape` share: the checks of an input shape (batch excluded,
// nil extents unknown) and the extents of a sliding window.
extension Layer {
    /// Checks a channels-last input shape: `spatialDims` spatial axes (any number when nil,
    /// at least one axis) and `channels` channels (any when nil).
    public func checkShape(_ shape: [Int?], spatialDims: Int?, channels: Int?) throws {
        let rankFits = spatialDims.map { shape.count == $0 + 1 } ?? !shape.isEmpty
        guard rankFits, channels == nil || shape.last == channels else {
            let expected: String
            switch spatialDims {
            case 2?: expected = "(batch, height, width, \(channels.map(String.init) ?? "channels"))"
            case 3?: expected = "(batch, depth, height, width, \(channels.map(String.init) ?? "channels"))"
            default: expected = "(..., \(channels.map(String.init) ?? "channels"))"
            }
            throw LayerError(layer: name, "\(kerasClassName) expects \(expected), got \(SymbolicTensor.describe(shape))")
        }
    }

    /// The output shape of a window (kernel, strides, dilations, padding) sliding over the
    /// spatial axes of `shape`, with `channels` output channels; an error if it does not fit.
    public func windowedShape(
        _ shape: [Int?], kernel: [Int], strides: [Int], dilations: [Int], padding: Padding, channels: Int,
        transposed: Bool = false
    ) throws -> [Int?] {
        let spatialExtents: [Int?] = shape.dropLast().enumerated().map { axis, extent in
            extent.map { n in
                transposed
                    ? padding.transposedExtent(n, kernel: kernel[axis], stride: strides[axis], dilation: dilations[axis], axis: axis)
                    : padding.outputExtent(n, kernel: kernel[axis], stride: strides[axis], dilation: dilations[axis], axis: axis)
            }
        }
        guard spatialExtents.allSatisfy({ ($0 ?? 1) > 0 }) else {
            throw LayerError(
                layer: name,
                "\(kerasClassName): input \(SymbolicTensor.describe(shape)) is too small for kernel \(kernel), strides \(strides) and padding \(padding)")
        }
        return spatialExtents + [channels]
    }

    /// The one shape of inputs that must all agree (Add, Average): an unknown extent takes
    /// the value another input knows.
    public func commonShape(_ shapes: [[Int?]], atLeast count: Int) throws -> [Int?] {
        guard shapes.count >= count, let first = shapes.first,
            shapes.allSatisfy({ $0.count == first.count && zip($0, first).allSatisfy { $0 == nil || $1 == nil || $0 == $1 } })
        else {
            throw LayerError(
                layer: name,
                "\(kerasClassName) needs \(count) or more inputs of one shape, got \(shapes.map(SymbolicTensor.describe).joined(separator: ", "))")
        }
        return first.indices.map { axis in shapes.lazy.compactMap { $0[axis] }.first }
    }
}
