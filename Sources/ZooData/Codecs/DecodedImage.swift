import ZooCore

/// Pixels as a decoder produced them, before conversion to floats.
public struct DecodedImage: Sendable {
    /// Width, height and interleaved channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
    public let width: Int, height: Int, channels: Int
    /// 8 or 16.
    public let bitDepth: Int
    /// The samples as floats in their file's range (0-255 or 0-65535), HWC.
    public let image: ImageArray
}

/// How decoded pixels become the channels a model wants.
public enum ChannelMode: String, Sendable, Codable, CaseIterable {
    /// As stored (alpha included).
    case keep
    /// One channel: gray as is, colour by ITU-R BT.601 luma; alpha dropped.
    case gray
    /// Three channels: gray repeated, alpha dropped.
    case rgb

    /// Converts an HWC image to this mode.
    public func apply(_ image: ImageArray) -> ImageArray {
        let channels = image.channels
        switch self {
        case .keep:
            return image
        case .gray:
            if channels == 1 { return image }
            return convert(image, to: 1) { source, target in
                if channels >= 3 {
                    target[0] = 0.299 * source[0] + 0.587 * source[1] + 0.114 * source[2]
                } else {
                    target[0] = source[0]
                }
            }
        case .rgb:
            if channels == 3 { return image }
            return convert(image, to: 3) { source, target in
                if channels >= 3 {
                    target[0] = source[0]; target[1] = source[1]; target[2] = source[2]
                } else {
                    target[0] = source[0]; target[1] = source[0]; target[2] = source[0]
                }
            }
        }
    }

    // One closure call per pixel (not per value) is acceptable here: conversion happens once
    // per decoded file, and the closure is inlined into this generic-free helper.
    @inline(__always)
    private func convert(
        _ image: ImageArray, to outChannels: Int,
        _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> ImageArray {
        var shape = image.shape
        let inChannels = shape[shape.count - 1]
        shape[shape.count - 1] = outChannels
        let pixels = image.voxelCount
        var out = [Float](repeating: 0, count: pixels * outChannels)
        image.values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for p in 0..<pixels {
                    body(source.baseAddress! + p * inChannels, target.baseAddress! + p * outChannels)
                }
            }
        }
        return ImageArray(shape: shape, values: out)
    }
}
