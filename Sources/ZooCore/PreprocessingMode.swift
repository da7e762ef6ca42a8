/// The input conventions of pretrained networks (Keras Applications' `preprocess_input`), on RGB
/// images with values 0-255: one enum for what an architecture variant expects (ZooNN) and what
/// the data pipeline's `preprocess` step applies (ZooData, which holds the numbers). A config's
/// `data.preprocessing: auto` resolves to the variant's own (`resolving`).
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

    /// The one place the `auto` rule lives: `setting` is a config's value (`auto` or a mode's
    /// name), `variant` what the architecture expects. Nil for a name that is no mode.
    public static func resolving(_ setting: String, variant: PreprocessingMode) -> PreprocessingMode? {
        setting == "auto" ? variant : PreprocessingMode(rawValue: setting)
    }

    /// Whether the mode's networks take RGB, so that a gray image is repeated to three channels.
    public var wantsRGB: Bool { self == .caffe || self == .torch }
}
