import ZooCore
import ZooTensor

/// The table of transforms by configuration name: `Transform.named("random_flip",
/// ["horizontal": true])`. Unknown names and unknown parameters are errors listing what
/// exists.
public enum Transform {
    typealias Builder = (inout Parameters) throws -> SampleTransform

    static let table: [String: Builder] = [
        "resize": { p in
            Resize(size: try p.integers("size"), interpolation: try Interpolation(name: try p.string("interpolation", "bilinear")))
        },
        "spacing": { p in
            Respacing(pixdim: try p.numbers("pixdim").map(Float.init), interpolation: try Interpolation(name: try p.string("interpolation", "trilinear")))
        },
        "pillow_resize": { p in
            let name = try p.string("interpolation", "bilinear")
            guard let filter = PillowResize.Filter(rawValue: name) else { throw p.error("interpolation '\(name)' is not nearest or bilinear") }
            return PillowResize(size: try p.integers("size"), filter: filter)
        },
        "center_crop": { p in CenterCrop(size: try p.integers("size")) },
        "random_crop": { p in RandomCrop(size: try p.integers("size")) },
        "pad": { p in Pad(size: try p.integers("size"), value: Float(try p.number("value", 0))) },
        "preprocess": { p in
            let mode = try p.string("mode")
            guard let value = PreprocessingMode(rawValue: mode), value != .none else { throw p.error("mode '\(mode)' is not caffe, tf or torch") }
            return Preprocess(mode: value)
        },
        "hu_window": { p in
            HUWindow(center: Float(try p.number("center")), width: Float(try p.number("width")),
                     low: Float(try p.number("low", 0)), high: Float(try p.number("high", 1)))
        },
        "min_max": { p in MinMaxScale(low: Float(try p.number("low", -1)), high: Float(try p.number("high", 1))) },
        "scale": { p in Scale(factor: Float(try p.number("factor")), offset: Float(try p.number("offset", 0))) },
        "to_rgb": { _ in ChannelConversion(mode: .rgb) },
        "to_gray": { _ in ChannelConversion(mode: .gray) },
        "random_flip": { p in
            RandomFlip(horizontal: try p.flag("horizontal", true), vertical: try p.flag("vertical", false),
                       probability: Float(try p.number("probability", 0.5)))
        },
        "random_rotation": { p in
            RandomRotation(degrees: Float(try p.number("degrees")), fill: try fill(&p))
        },
        "random_zoom": { p in
            let range = try p.numbers("range")
            guard range.count == 1 || range.count == 2 else { throw p.error("range takes one or two numbers") }
            let (low, high) = range.count == 1 ? (1 - range[0], 1 + range[0]) : (range[0], range[1])
            return RandomZoom(low: Float(low), high: Float(high), fill: try fill(&p))
        },
        "random_elastic": { p in
            RandomElastic(alpha: Float(try p.number("alpha", 34)), sigma: Float(try p.number("sigma", 4)),
                          probability: Float(try p.number("probability", 0.5)), fill: try fill(&p))
        },
        "random_brightness_contrast": { p in
            let contrast = try p.numbers("contrast", [1, 1])
            return RandomBrightnessContrast(
                brightness: Float(try p.number("brightness", 0)),
                contrastLow: Float(contrast.first ?? 1), contrastHigh: Float(contrast.last ?? 1))
        },
        "random_flip_3d": { p in
            RandomFlip3D(axes: try p.integers("axes", [0, 1, 2]), probability: Float(try p.number("probability", 0.5)))
        },
        "random_rotate90": { p in
            let axes = try p.integers("axes", [1, 2])
            guard axes.count == 2 else { throw p.error("axes takes two spatial axes") }
            return RandomRotate90(axes: (axes[0], axes[1]), probability: Float(try p.number("probability", 0.5)))
        },
        "random_crop_pos_neg": { p in
            RandomCropByPosNegLabel(size: try p.integers("size"), positive: Float(try p.number("pos", 1)),
                                    negative: Float(try p.number("neg", 1)))
        },
        "roi_crop": { p in ROICrop(margin: try p.integers("margin", [0])) },
    ]

    static func fill(_ p: inout Parameters) throws -> FillMode {
        let name = try p.string("fill_mode", "nearest")
        guard let fill = FillMode(rawValue: name) else { throw p.error("fill_mode '\(name)' is not nearest, constant or reflect") }
        return fill
    }

    /// The configuration names, sorted.
    public static var names: [String] { table.keys.sorted() }

    /// The transform configured by `name` and `parameters`.
    public static func named(_ name: String, _ parameters: [String: TransformParameter] = [:]) throws -> SampleTransform {
        guard let builder = table[name] else {
            throw DataError("transforms", "unknown transform '\(name)'\(NameSuggestions.didYouMean(name, in: names)); known: \(names.joined(separator: ", "))")
        }
        var reader = Parameters(name, parameters)
        let transform = try builder(&reader)
        try reader.checkAllUsed()
        return transform
    }

    /// A pipeline from (name, parameters) pairs, in order.
    public static func pipeline(_ steps: [(String, [String: TransformParameter])]) throws -> Compose {
        Compose(try steps.map { try named($0.0, $0.1) })
    }
}
