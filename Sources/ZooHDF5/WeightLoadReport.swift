import Foundation

/// How strictly `KerasWeights.load` matches a file to a model.
///
/// Strict by default: every weight of the model must be loaded and every weight of the file
/// used, with equal shapes. Leniency is explicit: `allowMissing` for a model with layers the
/// file lacks (a new head), `allowUnexpected` for a file with weights the model lacks (a
/// backbone without its top loaded from a file with one; the unused weights are reported),
/// `skipMismatch` to leave weights of different shape at their initial values. A file none of
/// whose weights match, and a weight that is not floating point, are errors in every mode.
public struct WeightLoadOptions {
    /// A rewrite of the start of the file's layer paths, applied in order before matching
    /// (`.init(from: "resnet50/", to: "")` strips a nested model's scope).
    public struct PrefixRule: Equatable {
        public let from: String
        public let to: String
        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    /// Model weights the file does not provide are left as they are (reported as missing).
    public var allowMissing: Bool
    /// File weights that match nothing in the model are ignored (reported as unexpected).
    public var allowUnexpected: Bool
    /// Weights whose shapes differ are left as they are (reported) instead of failing.
    public var skipMismatch: Bool
    /// Rewrites of the file's layer paths (Keras 2 layer names, `.keras` name paths, Keras 3
    /// class keys such as `functional/conv2d`).
    public var prefixMap: [PrefixRule]
    /// The layer path of the model's first convolution (`conv1_conv`, `block1_conv1`): when
    /// the file's kernel there has 3 input channels and the model's 1, the kernel is summed
    /// over its input channels (RGB weights for a 1-channel CT input).
    public var firstConvolution: String?
    /// How the first kernel is adapted to one input channel: plain summing keeps a gray image
    /// (R = G = B) as it was for preprocessing that treats every channel alike (`tf`); for
    /// per-channel means and deviations (`caffe`, `torch`) the gray input is preprocessed with
    /// their averages, so each channel's kernel is rescaled by the average deviation over its
    /// own, and the constant left over is moved into the first convolution's bias or, without
    /// one, into the moving mean of the batch normalization after it. Then a gray image
    /// through the adapted model equals the RGB-replicated image through the original, away
    /// from the zero padding at the image border.
    public var grayInput: GrayInput?

    /// Per input channel of the file's first kernel (in its channel order), the mean and
    /// deviation its preprocessing uses, and those of the gray form.
    public struct GrayInput: Sendable, Equatable {
        public var channelMeans: [Float]
        public var channelDeviations: [Float]
        public var grayMean: Float
        public var grayDeviation: Float

        public init(channelMeans: [Float], channelDeviations: [Float], grayMean: Float, grayDeviation: Float) {
            self.channelMeans = channelMeans
            self.channelDeviations = channelDeviations
            self.grayMean = grayMean
            self.grayDeviation = grayDeviation
        }
    }

    /// `strict: false` allows both missing and unexpected weights.
    public init(
        strict: Bool = true, allowMissing: Bool? = nil, allowUnexpected: Bool? = nil, skipMismatch: Bool = false,
        prefixMap: [PrefixRule] = [], firstConvolution: String? = nil, grayInput: GrayInput? = nil
    ) {
        self.grayInput = grayInput
        self.allowMissing = allowMissing ?? !strict
        self.allowUnexpected = allowUnexpected ?? !strict
        self.skipMismatch = skipMismatch
        self.prefixMap = prefixMap
        self.firstConvolution = firstConvolution
    }

    /// Strict loading: everything must match.
    public static let strict = WeightLoadOptions()
}

/// What a load did: every weight of the model and of the file is in exactly one list.
public struct WeightLoadReport: CustomStringConvertible {
    /// A weight whose shapes differ between the file and the model.
    public struct Mismatch: Equatable {
        /// The model's parameter path.
        public let path: String
        /// Where the weight is in the file.
        public let location: String
        public let fileShape: [Int]
        public let modelShape: [Int]
    }

    /// The file's format.
    public var format: KerasFileFormat
    /// Parameter paths of the model that received values.
    public var loaded: [String] = []
    /// Parameter paths of the model the file did not provide.
    public var missing: [String] = []
    /// Locations in the file of weights that matched nothing in the model.
    public var unexpected: [String] = []
    /// Weights present on both sides with different shapes (not loaded).
    public var mismatched: [Mismatch] = []
    /// File layers matched to a model layer of another name because both names were Keras's
    /// automatic ones (`conv2d_93` in the file, `conv2d` in the model): file to model.
    public var renamedLayers: [(file: String, model: String)] = []
    /// Parameters adapted on loading (the first convolution summed over its input channels).
    public var adapted: [String] = []

    public var description: String {
        var lines = ["\(format): \(loaded.count) loaded, \(missing.count) missing, \(unexpected.count) unexpected, \(mismatched.count) mismatched"]
        if !missing.isEmpty { lines.append("missing: " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { lines.append("unexpected: " + unexpected.joined(separator: ", ")) }
        for mismatch in mismatched {
            lines.append("mismatched: \(mismatch.path) (file \(mismatch.location) \(mismatch.fileShape), model \(mismatch.modelShape))")
        }
        for (file, model) in renamedLayers { lines.append("matched by automatic name: \(file) -> \(model)") }
        if !adapted.isEmpty { lines.append("adapted: " + adapted.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}

/// A weight file that cannot be loaded into a model, naming the file and every offending path.
public struct WeightLoadError: Error, CustomStringConvertible {
    /// The file's path on disk.
    public let file: String
    /// One line per problem, each naming its path.
    public let problems: [String]
    /// What the load found, when it got as far as matching.
    public let report: WeightLoadReport?

    public init(file: String, problems: [String], report: WeightLoadReport? = nil) {
        self.file = file
        self.problems = problems
        self.report = report
    }

    /// The HDF5 library's failure on `url`, as one problem naming the object's path (`/` for the
    /// root) and, with `stack`, the library's own error stack.
    init(_ url: URL, _ error: HDF5Error, stack: Bool = false) {
        let detail = stack && !error.stack.isEmpty ? " (HDF5: \(error.stack.joined(separator: "; ")))" : ""
        self.init(file: url.path, problems: ["\(error.path.isEmpty ? "/" : error.path): \(error.message)" + detail])
    }

    public var description: String {
        "\(file): cannot load weights:\n" + problems.map { "  " + $0 }.joined(separator: "\n")
    }
}
