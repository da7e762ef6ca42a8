import ZooCore
import ZooTensor

/// Applies `body` to every value of the image, leaving the mask alone.
@inline(__always)
func mapValues(_ sample: Sample, _ body: (UnsafeMutableBufferPointer<Float>, Int) -> Void) -> Sample {
    var result = sample
    let channels = sample.image.channels
    result.image.values.withUnsafeMutableBufferPointer { body($0, channels) }
    return result
}

/// The numbers of each `PreprocessingMode` (ZooCore), on RGB images with values 0-255. A
/// one-channel (gray) image gets each mode's gray form: the mean of the three channel means and
/// of the three standard deviations (`tf` is the same for any channel count), which the weight
/// loader pairs with a first kernel adapted to it (`WeightLoadOptions.GrayInput`).
extension PreprocessingMode {
    /// The scale x is divided by first (255 for torch), then per channel of the network's
    /// input (BGR for caffe, RGB for torch) the mean subtracted and the deviation divided.
    public var scale: Float { self == .torch ? 255 : (self == .tf ? 127.5 : 1) }
    public var channelMeans: [Float] {
        switch self {
        case .caffe: return [103.939, 116.779, 123.68]
        case .tf: return [1, 1, 1]
        case .torch: return [0.485, 0.456, 0.406]
        case .none: return [0, 0, 0]
        }
    }
    public var channelDeviations: [Float] { self == .torch ? [0.229, 0.224, 0.225] : [1, 1, 1] }
    /// The gray form's mean and deviation: the means of the three channels'.
    public var grayMean: Float { channelMeans.reduce(0, +) / 3 }
    public var grayDeviation: Float { channelDeviations.reduce(0, +) / 3 }
}

/// Per-model preprocessing (`caffe`, `tf`, `torch`; `none` leaves the sample as it is).
public struct Preprocess: SampleTransform {
    public var mode: PreprocessingMode
    public init(mode: PreprocessingMode) { self.mode = mode }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        if mode == .none { return sample }
        if mode != .tf && sample.image.channels != 3 {
            guard sample.image.channels == 1 else {
                throw DataError("preprocess '\(mode.rawValue)'", "needs 1 (gray) or 3 (RGB) channels, got \(sample.image.shape) for sample '\(sample.id)'")
            }
            let (scale, mean, deviation) = (mode.scale, mode.grayMean, mode.grayDeviation)
            return mapValues(sample) { v, _ in for i in 0..<v.count { v[i] = (v[i] / scale - mean) / deviation } }
        }
        switch mode {
        case .tf:
            return mapValues(sample) { v, _ in for i in 0..<v.count { v[i] = v[i] / 127.5 - 1 } }
        case .caffe:
            return mapValues(sample) { v, _ in
                var p = 0
                while p < v.count {
                    let (r, g, b) = (v[p], v[p + 1], v[p + 2])
                    v[p] = b - 103.939
                    v[p + 1] = g - 116.779
                    v[p + 2] = r - 123.68
                    p += 3
                }
            }
        case .torch:
            let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
            return mapValues(sample) { v, _ in
                for i in 0..<v.count {
                    let c = i % 3
                    v[i] = (v[i] / 255 - mean[c]) / std[c]
                }
            }
        case .none:
            return sample
        }
    }
}

/// A CT window: values clipped to [center - width/2, center + width/2] (Hounsfield units)
/// and mapped linearly to [low, high].
public struct HUWindow: SampleTransform {
    public var center: Float, width: Float, low: Float, high: Float
    public init(center: Float, width: Float, low: Float = 0, high: Float = 1) {
        self.center = center
        self.width = width
        self.low = low
        self.high = high
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        let bottom = center - width / 2
        let scale = (high - low) / Swift.max(width, 1e-6)
        let (lo, hi) = (low, high)
        return mapValues(sample) { v, _ in
            for i in 0..<v.count { v[i] = ((v[i] - bottom) * scale + lo).clamped(Swift.min(lo, hi), Swift.max(lo, hi)) }
        }
    }
}

/// Maps the image's own minimum and maximum to [low, high] (a constant image maps to low).
public struct MinMaxScale: SampleTransform {
    public var low: Float, high: Float
    public init(low: Float = -1, high: Float = 1) {
        self.low = low
        self.high = high
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        let (minimum, maximum) = sample.image.range
        let span = maximum - minimum
        let scale = span > 0 ? (high - low) / span : 0
        let lo = low
        return mapValues(sample) { v, _ in for i in 0..<v.count { v[i] = (v[i] - minimum) * scale + lo } }
    }
}

/// x * factor + offset (for instance 1/255 to bring bytes to [0, 1]).
public struct Scale: SampleTransform {
    public var factor: Float, offset: Float
    public init(factor: Float, offset: Float = 0) {
        self.factor = factor
        self.offset = offset
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        let (f, o) = (factor, offset)
        return mapValues(sample) { v, _ in for i in 0..<v.count { v[i] = v[i] * f + o } }
    }
}

/// Converts the image to gray or RGB (CT slices to the three channels of ImageNet models).
public struct ChannelConversion: SampleTransform {
    public var mode: ChannelMode
    public init(mode: ChannelMode) { self.mode = mode }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        var result = sample
        result.image = mode.apply(sample.image)
        return result
    }
}

/// Adds a brightness offset uniform in [-brightness, brightness] (in the image's units) and
/// scales the contrast about the image mean by a factor uniform in [contrastLow,
/// contrastHigh].
public struct RandomBrightnessContrast: SampleTransform {
    public var brightness: Float, contrastLow: Float, contrastHigh: Float
    public init(brightness: Float, contrastLow: Float = 1, contrastHigh: Float = 1) {
        self.brightness = brightness
        self.contrastLow = contrastLow
        self.contrastHigh = contrastHigh
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        let shift = random.nextUniform(-brightness, brightness)
        let factor = random.nextUniform(contrastLow, contrastHigh)
        let mean = sample.image.values.reduce(0, +) / Float(Swift.max(1, sample.image.values.count))
        return mapValues(sample) { v, _ in for i in 0..<v.count { v[i] = (v[i] - mean) * factor + mean + shift } }
    }
}
