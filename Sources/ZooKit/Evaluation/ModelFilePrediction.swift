import Foundation
import ZooCore
import ZooData
import ZooKeras
import ZooNN
import ZooTensor

/// How images reach a model file that carries no pipeline of its own (a Keras `.keras` archive
/// or full-model `.h5`): the options of `zoo predict MODEL`. Images are read as Keras's
/// `load_img` reads them: decoded, converted to the channels asked for, resized by Pillow's
/// rules on their 8-bit values, then preprocessed.
public struct FileModelPipeline: Equatable {
    /// What the pixels go through after resizing.
    public enum Preprocessing: Equatable, CustomStringConvertible {
        case tf, caffe, torch, none
        /// Keras's `Rescaling`: x * scale + offset (`rescale:0.00392156862745098` is x / 255).
        case rescale(scale: Float, offset: Float)

        /// `tf`, `caffe`, `torch`, `none` or `rescale:SCALE[:OFFSET]`.
        public init(parsing text: String) throws {
            switch text {
            case "tf": self = .tf
            case "caffe": self = .caffe
            case "torch": self = .torch
            case "none": self = .none
            default:
                let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard parts.first == "rescale", parts.count == 2 || parts.count == 3, let scale = Float(parts[1]),
                    let offset = parts.count == 3 ? Float(parts[2]) : 0
                else {
                    throw RunError("--preprocessing '\(text)': expected tf, caffe, torch, none or rescale:SCALE[:OFFSET]")
                }
                self = .rescale(scale: scale, offset: offset)
            }
        }

        public var description: String {
            switch self {
            case .tf: return "tf (x / 127.5 - 1)"
            case .caffe: return "caffe (BGR, ImageNet means subtracted)"
            case .torch: return "torch (x / 255, ImageNet means and deviations)"
            case .none: return "none"
            case .rescale(let scale, let offset): return "rescale (x * \(scale) + \(offset))"
            }
        }

        var transform: SampleTransform? {
            switch self {
            case .tf: return Preprocess(mode: .tf)
            case .caffe: return Preprocess(mode: .caffe)
            case .torch: return Preprocess(mode: .torch)
            case .none: return nil
            case .rescale(let scale, let offset): return Scale(factor: scale, offset: offset)
            }
        }
    }

    /// [height, width]; nil: the model's input.
    public var size: [Int]?
    /// 1 or 3; nil: the model's.
    public var channels: Int?
    public var interpolation: PillowResize.Filter
    public var preprocessing: Preprocessing
    /// Names of the output columns; nil: `output0`, `output1`, ...
    public var classes: [String]?

    public init(
        size: [Int]? = nil, channels: Int? = nil, interpolation: PillowResize.Filter = .bilinear,
        preprocessing: Preprocessing = .none, classes: [String]? = nil
    ) {
        self.size = size
        self.channels = channels
        self.interpolation = interpolation
        self.preprocessing = preprocessing
        self.classes = classes
    }
}

/// `zoo predict MODEL IMAGES` for a model file: every image through the file pipeline, the
/// model's outputs as it computes them (a Keras classifier's softmax probabilities), one row per
/// image with the predicted (largest) output.
public enum ModelFilePrediction {
    public struct Result {
        /// What was loaded and how the images were prepared, for the printed header.
        public let header: String
        public let ids: [String]
        public let columns: [String]
        public let outputs: [[Float]]

        /// The column of the largest output (the project's one predicted-class rule, without a
        /// threshold: a model file carries none chosen on validation).
        func predicted(_ row: [Float]) -> String {
            columns[Predictions.predictedClass(row.map(Double.init), threshold: nil)]
        }

        public var csv: String {
            var lines = ["id,predicted," + columns.map { "p_\($0)" }.joined(separator: ",")]
            for (id, row) in zip(ids, outputs) {
                lines.append("\(CSV.escape(id)),\(CSV.escape(predicted(row)))," + row.map { "\($0)" }.joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        }

        /// One object per image: id, predicted column and every output by column name.
        public func json() throws -> String {
            struct Row: Encodable {
                let id: String
                let predicted: String
                let outputs: [String: Float]
            }
            let rows = zip(ids, outputs).map { id, row in
                Row(id: id, predicted: predicted(row), outputs: Dictionary(uniqueKeysWithValues: zip(columns, row)))
            }
            return try JSONText.encode(rows)
        }
    }

    /// Predicts `inputs` (files, folders, CSVs with a path column) with the Keras model in
    /// `modelURL`, prepared by `pipeline`.
    public static func predict(model modelURL: URL, inputs: [URL], pipeline: FileModelPipeline, batchSize: Int = 16) throws -> Result {
        let (model, _) = try KerasModelImport.load(modelURL)
        guard let graph = model.graph, graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw RunError("\(modelURL.path): zoo predict takes a model of one input and one output")
        }
        let inputShape = graph.inputShapes[0]
        guard inputShape.count == 3, let modelChannels = inputShape[2] else {
            throw RunError("\(modelURL.path): the model's input \(SymbolicTensor.describe(inputShape)) is not a 2D image; zoo predict reads 2D images for a model file")
        }
        let channels = pipeline.channels ?? modelChannels
        guard channels == modelChannels, channels == 1 || channels == 3 else {
            throw RunError("\(modelURL.path): the model takes \(modelChannels) channels, the images were asked as \(channels)")
        }
        guard let size = pipeline.size ?? (inputShape[0].flatMap { h in inputShape[1].map { [h, $0] } }) else {
            throw RunError("\(modelURL.path): the model accepts any image size; give one with --size")
        }
        if let fixed = inputShape[0], fixed != size[0] { throw RunError("\(modelURL.path): the model takes height \(fixed), --size asks \(size[0])") }
        if let fixed = inputShape[1], fixed != size[1] { throw RunError("\(modelURL.path): the model takes width \(fixed), --size asks \(size[1])") }
        let outputShape = graph.outputShapes[0]
        guard outputShape.count == 1, let width = outputShape[0] else {
            throw RunError("\(modelURL.path): the model's output \(SymbolicTensor.describe(outputShape)) is not one vector per image")
        }
        let columns = pipeline.classes ?? (0..<width).map { "output\($0)" }
        guard columns.count == width else {
            throw RunError("--classes names \(columns.count) classes; the model puts out \(width) values")
        }
        let files = try FileListDataset(inputs: inputs, channels: channels == 1 ? .gray : .rgb, bitDepth: 8)
        guard files.count > 0 else { throw RunError("no images to predict in \(inputs.map(\.path).joined(separator: ", "))") }
        let steps: [SampleTransform] = [PillowResize(size: size, filter: pipeline.interpolation)] + [pipeline.preprocessing.transform].compactMap { $0 }
        let header = "model \(modelURL.lastPathComponent) ('\(model.name)', input \(size[0])x\(size[1])x\(channels), \(width) outputs); "
            + "images: \(channels == 1 ? "gray" : "RGB"), Pillow \(pipeline.interpolation.rawValue) resize to \(size[0])x\(size[1]), preprocessing \(pipeline.preprocessing)"
        model.setTraining(false)
        var ids = [String](), outputs = [[Float]]()
        var random = RandomGenerator(seed: 0)
        for start in stride(from: 0, to: files.count, by: batchSize) {
            let indices = Array(start..<Swift.min(start + batchSize, files.count))
            let samples = try indices.map { index -> Sample in
                var sample = try files.sample(at: index)
                for step in steps { sample = try step.apply(sample, random: &random) }
                return sample
            }
            let batch = try Tensor(shape: [samples.count, size[0], size[1], channels], scalars: samples.flatMap(\.image.values))
            let output = try withoutGrad { try model(batch) }
            for (row, sample) in samples.enumerated() {
                ids.append(sample.id)
                outputs.append(Array(output.scalars[(row * width)..<((row + 1) * width)]))
            }
        }
        return Result(header: header, ids: ids, columns: columns, outputs: outputs)
    }
}
