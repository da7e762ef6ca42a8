import ZooCore
import ZooTensor

/// The table of transforms by configuration name: `Transform.named("random_flip",
/// ["horizontal": true])`. A transform's parameters are config keys, read by the config's one
/// reader (`ConfigReader`): unknown names and parameters are errors naming the key path and
/// the nearest valid name.
public enum Transform {
    typealias Builder = (ConfigReader) throws -> SampleTransform

    static let table: [String: Builder] = [
        "resize": { p in Resize(size: try sizes(p, "size"), interpolation: try interpolation(p, default: "bilinear")) },
        "spacing": { p in
            Respacing(pixdim: try p.required("pixdim", p.oneOrMoreDoubles("pixdim")).map(Float.init), interpolation: try interpolation(p, default: "trilinear"))
        },
        "pillow_resize": { p in
            PillowResize(size: try sizes(p, "size"), filter: try p.choice("interpolation", default: PillowResize.Filter.bilinear))
        },
        "center_crop": { p in CenterCrop(size: try sizes(p, "size")) },
        "random_crop": { p in RandomCrop(size: try sizes(p, "size")) },
        "pad": { p in Pad(size: try sizes(p, "size"), value: Float(try p.double("value", default: 0))) },
        "preprocess": { p in
            let modes = PreprocessingMode.allCases.filter { $0 != .none }.map(\.rawValue)
            return Preprocess(mode: PreprocessingMode(rawValue: try p.required("mode", p.choice("mode", modes)))!)
        },
        "hu_window": { p in
            HUWindow(center: Float(try p.required("center", p.double("center"))), width: Float(try p.required("width", p.double("width"))),
                     low: Float(try p.double("low", default: 0)), high: Float(try p.double("high", default: 1)))
        },
        "min_max": { p in MinMaxScale(low: Float(try p.double("low", default: -1)), high: Float(try p.double("high", default: 1))) },
        "scale": { p in Scale(factor: Float(try p.required("factor", p.double("factor"))), offset: Float(try p.double("offset", default: 0))) },
        "to_rgb": { _ in ChannelConversion(mode: .rgb) },
        "to_gray": { _ in ChannelConversion(mode: .gray) },
        "random_flip": { p in
            RandomFlip(horizontal: try p.bool("horizontal", default: true), vertical: try p.bool("vertical", default: false),
                       probability: Float(try probability(p)))
        },
        "random_rotation": { p in
            RandomRotation(degrees: Float(try p.required("degrees", p.double("degrees"))), fill: try p.choice("fill_mode", default: FillMode.nearest))
        },
        "random_zoom": { p in
            let range = try p.required("range", p.oneOrMoreDoubles("range"))
            guard range.count == 1 || range.count == 2 else { throw p.error("range", "takes one or two numbers") }
            let (low, high) = range.count == 1 ? (1 - range[0], 1 + range[0]) : (range[0], range[1])
            return RandomZoom(low: Float(low), high: Float(high), fill: try p.choice("fill_mode", default: FillMode.nearest))
        },
        "random_elastic": { p in
            RandomElastic(alpha: Float(try p.double("alpha", default: 34)), sigma: Float(try p.double("sigma", default: 4)),
                          probability: Float(try probability(p)), fill: try p.choice("fill_mode", default: FillMode.nearest))
        },
        "random_brightness_contrast": { p in
            let contrast = try p.oneOrMoreDoubles("contrast") ?? [1, 1]
            return RandomBrightnessContrast(
                brightness: Float(try p.double("brightness", default: 0)),
                contrastLow: Float(contrast.first ?? 1), contrastHigh: Float(contrast.last ?? 1))
        },
        "random_flip_3d": { p in
            RandomFlip3D(axes: try p.oneOrMoreInts("axes", minimum: 0) ?? [0, 1, 2], probability: Float(try probability(p)))
        },
        "random_rotate90": { p in
            let axes = try p.oneOrMoreInts("axes", minimum: 0) ?? [1, 2]
            guard axes.count == 2 else { throw p.error("axes", "takes two spatial axes") }
            return RandomRotate90(axes: (axes[0], axes[1]), probability: Float(try probability(p)))
        },
        "random_crop_pos_neg": { p in
            RandomCropByPosNegLabel(size: try sizes(p, "size"), positive: Float(try p.double("pos", default: 1)),
                                    negative: Float(try p.double("neg", default: 1)))
        },
        "roi_crop": { p in ROICrop(margin: try p.oneOrMoreInts("margin", minimum: 0) ?? [0]) },
    ]

    /// A required spatial size: one extent or one per axis, each at least 1.
    static func sizes(_ p: ConfigReader, _ key: String) throws -> [Int] { try p.required(key, p.oneOrMoreInts(key, minimum: 1)) }

    static func probability(_ p: ConfigReader) throws -> Double { try p.double("probability", default: 0.5, in: 0...1) }

    static func interpolation(_ p: ConfigReader, default fallback: String) throws -> Interpolation {
        try Interpolation(name: try p.choice("interpolation", Interpolation.configNames, default: fallback)!)
    }

    /// The configuration names, sorted.
    public static var names: [String] { table.keys.sorted() }

    /// The transform configured by `name` and `parameters` (a map of its keys), at `path` of
    /// the config `file` for errors.
    public static func named(_ name: String, _ parameters: ConfigValue = [:], file: String = "config", path: String = "transforms") throws -> SampleTransform {
        guard let builder = table[name] else {
            throw ConfigError(
                source: file, path: path, "unknown transform '\(name)'\(NameSuggestions.didYouMean(name, in: names)); known: \(names.joined(separator: ", "))")
        }
        let reader = try ConfigReader(parameters, source: file, path: path)
        let transform = try builder(reader)
        try reader.finish()
        return transform
    }

    /// A pipeline from (name, parameters) pairs, in order.
    public static func pipeline(_ steps: [(String, ConfigValue)]) throws -> Compose {
        Compose(try steps.enumerated().map { index, step in try named(step.0, step.1, path: "transforms[\(index)]") })
    }
}
