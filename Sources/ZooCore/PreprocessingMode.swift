/// The input conventions of pretrained networks (Keras Applications' `preprocess_input`), on RGB
/// images with values 0-255: one enum for what an architecture variant expects (ZooNN) and what
/// the data pipeline's `preprocess` step applies (ZooData, which holds the numbers). A config's
/// `data.preprocessing: auto` resolves to the variant's own (`PreprocessingChoice`).
public enum PreprocessingMode: String, Sendable, CaseIterable {
    /// RGB to BGR, then the ImageNet means (BGR) 103.939, 116.779, 123.68 subtracted, no scaling
    /// (VGG, ResNet50/101/152); gray: x - 114.799.
    case caffe
    /// x / 127.5 - 1, to [-1, 1] (Inception, Xception, MobileNetV2); any channel count.
    case tf
    /// x / 255, then (x - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225] (DenseNet,
    /// torchvision); gray: (x / 255 - 0.449) / 0.226.
    case torch
    /// No change (networks trained from scratch here).
    case none

    /// Whether the mode's networks take RGB, so that a gray image is repeated to three channels.
    public var wantsRGB: Bool { self == .caffe || self == .torch }
}

/// `data.preprocessing`: the architecture's own mode (`auto`), or one mode for every architecture.
public enum PreprocessingChoice: Equatable, Sendable {
    case auto
    case mode(PreprocessingMode)

    /// The names a config may give: `auto` and the modes'.
    public static var names: [String] { ["auto"] + PreprocessingMode.allCases.map(\.rawValue) }

    /// `auto` or a mode's name; nil for any other.
    public init?(name: String) {
        if name == "auto" {
            self = .auto
        } else if let mode = PreprocessingMode(rawValue: name) {
            self = .mode(mode)
        } else {
            return nil
        }
    }

    /// The one place the `auto` rule lives: the mode an architecture that expects `variant` gets.
    public func resolved(for variant: PreprocessingMode) -> PreprocessingMode {
        switch self {
        case .auto: return variant
        case .mode(let mode): return mode
        }
    }
}
