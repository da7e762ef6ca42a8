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
        /// A pretrained network's convention (`PreprocessingMode`), or none.
        case mode(PreprocessingMode)
        /// Keras's `Rescaling`: x * scale + offset (`rescale:0.00392156862745098` is x / 255).
        case rescale(scale: Float, offset: Float)

        public static let none = Preprocessing.mode(.none)

        /// `tf`, `caffe`, `torch`, `none` or `rescale:SCALE[:OFFSET]`.
        public init(parsing text: String) throws {
            if let mode = PreprocessingMode(rawValue: text) {
                self = .mode(mode)
                return
            }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.first == "rescale", parts.count == 2 || parts.count == 3, let scale = Float(parts[1]),
                let offset = parts.count == 3 ? Float(parts[2]) : 0
            else {
                throw RunError("--preprocessing '\(text)': expected tf, caffe, torch, none or rescale:SCALE[:OFFSET]")
            }
            self = .rescale(scale: scale, offset: offset)
        }

        public var description: String {
            switch self {
            case .mode(.tf): return "tf (x / 127.5 - 1)"
            case .mode(.caffe): return "caffe (BGR, ImageNet means subtracted)"
            case .mode(.torch): return "torch (x / 255, ImageNet means and deviations)"
            case .mode(.none): return "none"
            case .rescale(let scale, let offset): return "rescale (x * \(scale) + \(offset))"
            }
        }

        var transform: SampleTransform? {
            switch self {
            case .mode(.none): return nil
            case .mode(let mode): return Preprocess(mode: mode)
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
    /// For a model with inputs beside the image (clinical variables): a CSV with a `path`
    /// column (relative to the CSV, as an image CSV's) and the values of each vector input, in a
    /// column named as the input (one value) or `<input>_0`, `<input>_1`, ... (several).
    public var tabular: URL?

    public init(
        size: [Int]? = nil, channels: Int? = nil, interpolation: PillowResize.Filter = .bilinear,
        preprocessing: Preprocessing = .none, classes: [String]? = nil, tabular: URL? = nil
    ) {
        self.size = size
        self.channels = channels
        self.interpolation = interpolation
        self.preprocessing = preprocessing
        self.classes = classes
        self.tabular = tabular
    }
}

/// `zoo predict MODEL IMAGES` for a model file: every image through the file pipeline, the
/// softmax of the model's logits (a Keras classifier's own probabilities: `ImportedModel` reads
/// its softmax or sigmoid back as logits), one row per image with the predicted (largest)
/// class; for a segmentation model the predicted voxels per class, and the masks and
/// probability maps written on each input's own grid.
public enum ModelFilePrediction {
    /// One segmented input: voxels of each predicted class and the files written.
    public struct Segmented: Encodable {
        public let id: String
        /// Voxels predicted as each class (the background first).
        public let voxels: [Int]
        public let mask: String?
        public let probabilities: [String]
    }

    public struct Result {
        /// What was loaded and how the images were prepared, for the printed header.
        public let header: String
        public let ids: [String]
        public let columns: [String]
        /// Classification: the probabilities per image.
        public let outputs: [[Float]]
        /// Segmentation: one entry per input.
        public let segmented: [Segmented]

        /// The column of the largest output (the project's one predicted-class rule, without a
        /// threshold: a model file carries none chosen on validation).
        func predicted(_ row: [Float]) -> String {
            columns[Predictions.predictedClass(row.map(Double.init), threshold: nil)]
        }

        public var csv: String {
            if !segmented.isEmpty {
                var lines = ["id," + columns.map { "voxels_\($0)" }.joined(separator: ",") + ",mask,probabilities"]
                for row in segmented {
                    lines.append(
                        CSV.escape(row.id) + "," + row.voxels.map(String.init).joined(separator: ",") + ",\(CSV.escape(row.mask ?? ""))," + CSV.escape(row.probabilities.joined(separator: ";")))
                }
                return lines.joined(separator: "\n") + "\n"
            }
            var lines = ["id,predicted," + columns.map { "p_\($0)" }.joined(separator: ",")]
            for (id, row) in zip(ids, outputs) {
                lines.append("\(CSV.escape(id)),\(CSV.escape(predicted(row)))," + row.map { "\($0)" }.joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        }

        /// One object per image: id, predicted column and every output by column name (for
        /// segmentation: voxels per class and the files written).
        public func json() throws -> String {
            if !segmented.isEmpty { return try JSONText.encode(segmented) }
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

    /// What the model file's output is read as, for the header.
    static func outputWords(_ model: ImportedModel) -> String {
        switch model.fileOutput {
        case .logits: return "softmax of the model's outputs (logits)"
        case .softmax: return "the model's softmax"
        case .sigmoid: return "the model's sigmoid as [1 - p, p]"
        }
    }

    /// Predicts `inputs` (files, folders, CSVs with a path column) with `model`, prepared by
    /// `pipeline`. A segmentation model writes masks (PNG 0/255 for two classes, else class
    /// indices; NIfTI for NIfTI inputs) to `masks` and the probability of every class but the
    /// background to `probabilities` (16-bit PNG scaled by 65535, or float32 NIfTI), each
    /// resampled to its input's grid, NIfTI with the input's geometry.
    public static func predict(
        model: ImportedModel, inputs: [URL], pipeline: FileModelPipeline, masks: URL? = nil, probabilities: URL? = nil, batchSize: Int = 16
    ) throws -> Result {
        let prepared = try FileModelInputs(model: model, inputs: inputs, pipeline: pipeline)
        if !prepared.segmentation, masks != nil || probabilities != nil {
            throw RunError("\(model.file.path): --masks and --probabilities are for segmentation models; this one puts out one vector per image")
        }
        let header = prepared.header + "; probabilities: \(outputWords(model))" + (prepared.segmentation ? "; masks and probabilities resampled to each input's grid" : "")
        model.setTraining(false)
        let files = prepared.files
        if prepared.segmentation {
            guard prepared.vectorInputs.isEmpty else {
                throw RunError("\(model.file.path): a segmentation model with inputs beside the image is not supported by zoo predict")
            }
            var rows = [Segmented]()
            for folder in [masks, probabilities].compactMap({ $0 }) { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
            for index in 0..<files.count {
                let sample = try prepared.sample(index)
                let batch = try Tensor(shape: [1] + sample.input.image.shape, scalars: sample.input.image.values)
                let logits = try withoutGrad { try model(batch) }
                let map = ImageArray(shape: Array(logits.shape.dropFirst()), values: try withoutGrad { try logits.softmax() }.scalars)
                // Back on the input's grid, as the input's own file places it.
                var onInput = Sample(image: map, info: sample.original.info)
                if map.spatialShape != sample.original.image.spatialShape {
                    var random = RandomGenerator(seed: 0)
                    onInput = try Resize(size: sample.original.image.spatialShape, interpolation: .linear).apply(onInput, random: &random)
                }
                rows.append(try write(onInput.image, id: sample.original.id, geometry: sample.geometry, masks: masks, probabilities: probabilities))
            }
            return Result(header: header, ids: rows.map(\.id), columns: prepared.columns, outputs: [], segmented: rows)
        }
        let width = prepared.columns.count
        var ids = [String](), outputs = [[Float]]()
        for start in stride(from: 0, to: files.count, by: batchSize) {
            let indices = Array(start..<Swift.min(start + batchSize, files.count))
            let samples = try indices.map { try prepared.sample($0).input }
            let batch = try prepared.modelInputs(samples, indices: indices)
            let output = try withoutGrad { try model(batch)[0].softmax() }
            for (row, sample) in samples.enumerated() {
                ids.append(sample.id)
                outputs.append(Array(output.scalars[(row * width)..<((row + 1) * width)]))
            }
        }
        return Result(header: header, ids: ids, columns: prepared.columns, outputs: outputs, segmented: [])
    }

    /// Writes the mask and probability maps of `map` (probabilities, channels last, on the
    /// input's grid) for the input `id`: NIfTI with the input's `geometry` for a NIfTI input,
    /// PNG otherwise.
    static func write(_ map: ImageArray, id: String, geometry: NIfTIGeometry?, masks: URL?, probabilities: URL?) throws -> Segmented {
        let classes = map.channels
        let count = map.values.count / classes
        var labels = [Float](repeating: 0, count: count)
        var voxels = [Int](repeating: 0, count: classes)
        map.values.withUnsafeBufferPointer { p in
            for i in 0..<count {
                var best = 0
                for c in 1..<classes where p[i * classes + c] > p[i * classes + best] { best = c }
                labels[i] = Float(best)
                voxels[best] += 1
            }
        }
        let nifti = geometry != nil
        let stem = URL(fileURLWithPath: id).deletingPathExtension().deletingPathExtension().lastPathComponent
        var maskPath: String?
        if let masks {
            let url = masks.appendingPathComponent(stem + (nifti ? "-mask.nii.gz" : "-mask.png"))
            let mask = ImageArray(shape: map.spatialShape + [1], values: classes == 2 && !nifti ? labels.map { $0 * 255 } : labels)
            if nifti { try NIfTI.write(mask, as: .uint8, geometry: geometry, to: url) } else { try PNG.write(mask, to: url) }
            maskPath = url.path
        }
        var probabilityPaths = [String]()
        if let probabilities {
            for c in 1..<classes {
                let values = (0..<count).map { map.values[$0 * classes + c] }
                let url = probabilities.appendingPathComponent(stem + "-p\(c)" + (nifti ? ".nii.gz" : ".png"))
                if nifti {
                    try NIfTI.write(ImageArray(shape: map.spatialShape + [1], values: values), as: .float32, geometry: geometry, to: url)
                } else {
                    try PNG.write(ImageArray(shape: map.spatialShape + [1], values: values.map { ($0 * 65535).rounded() }), to: url, bitDepth: 16)
                }
                probabilityPaths.append(url.path)
            }
        }
        return Segmented(id: id, voxels: voxels, mask: maskPath, probabilities: probabilityPaths)
    }
}

/// The images of `zoo predict` / `zoo gradcam` on a model file, checked against the model and
/// prepared by the file pipeline: read (channels), resized (Pillow's rules for images, linear
/// for volumes), preprocessed.
public struct FileModelInputs {
    public let files: FileListDataset
    public let segmentation: Bool
    /// The output columns' (classes') names.
    public let columns: [String]
    /// What was loaded and how the images are prepared.
    public let header: String
    /// The model's inputs beside the image (name, position among the inputs, values per
    /// sample) and their values for each file, from the tabular CSV.
    public let vectorInputs: [(name: String, position: Int, width: Int)]
    let vectors: [[[Float]]]
    /// The image input's position among the model's inputs.
    let imagePosition: Int
    let resize: SampleTransform?
    let preprocess: SampleTransform?
    let inputShape: [Int?]

    public init(model: ImportedModel, inputs: [URL], pipeline: FileModelPipeline) throws {
        let path = model.file.path
        guard let graph = model.graph else { throw RunError("\(path): the model defines no graph") }
        let images = graph.inputShapes.indices.filter { graph.inputShapes[$0].count == 3 || graph.inputShapes[$0].count == 4 }
        let others = graph.inputShapes.indices.filter { !images.contains($0) }
        let describe = graph.inputs.map { "\($0.node.operation.name) \(SymbolicTensor.describe($0.shape))" }.joined(separator: ", ")
        guard images.count == 1, others.allSatisfy({ graph.inputShapes[$0].count == 1 && graph.inputShapes[$0][0] != nil }) else {
            throw RunError("\(path): the model's inputs are \(describe); Zoo takes one image (HWC) or volume (DHWC) input, and vectors beside it")
        }
        imagePosition = images[0]
        vectorInputs = others.map { (graph.inputs[$0].node.operation.name, $0, graph.inputShapes[$0][0]!) }
        inputShape = graph.inputShapes[imagePosition]
        let outputShape = graph.outputShapes[0]
        let spatialDims = inputShape.count - 1
        guard spatialDims == 2 || spatialDims == 3, let modelChannels = inputShape.last! else {
            throw RunError("\(path): the model's input \(SymbolicTensor.describe(inputShape)) is not an image (HWC) or a volume (DHWC)")
        }
        let segmentation = outputShape.count == inputShape.count
        self.segmentation = segmentation
        guard segmentation || outputShape.count == 1, let width = outputShape.last! else {
            throw RunError("\(path): the model's output \(SymbolicTensor.describe(outputShape)) is neither one vector per image nor a map per pixel")
        }
        let channels = pipeline.channels ?? modelChannels
        guard channels == modelChannels else {
            throw RunError("\(path): the model takes \(modelChannels) channels, the images were asked as \(channels)")
        }
        if let size = pipeline.size, size.count != spatialDims {
            throw RunError("--size \(size.map(String.init).joined(separator: "x")): the model takes \(spatialDims)D inputs \(SymbolicTensor.describe(inputShape))")
        }
        let open = inputShape.dropLast().contains { $0 == nil }
        let fixed = open ? nil : inputShape.dropLast().map { $0! }
        if let size = pipeline.size, let fixed, size != fixed {
            throw RunError("\(path): the model takes \(fixed.map(String.init).joined(separator: "x")), --size asks \(size.map(String.init).joined(separator: "x"))")
        }
        // A model of open extents: a classifier needs --size; a segmentation model takes each
        // input at its own size.
        let size = pipeline.size ?? fixed
        guard size != nil || segmentation else { throw RunError("\(path): the model accepts any image size; give one with --size") }
        let columns = pipeline.classes ?? (0..<width).map { segmentation ? "class\($0)" : "output\($0)" }
        guard columns.count == width else {
            throw RunError("--classes names \(columns.count) classes; the model puts out \(width) values")
        }
        self.columns = columns
        let channelMode: ChannelMode = spatialDims == 3 ? .keep : (channels == 1 ? .gray : .rgb)
        files = try FileListDataset(inputs: inputs, channels: channelMode, bitDepth: spatialDims == 3 ? nil : 8)
        guard files.count > 0 else { throw RunError("no images in \(inputs.map(\.path).joined(separator: ", "))") }
        vectors = try FileModelInputs.tabular(pipeline.tabular, inputs: vectorInputs, files: files.files, model: path)
        resize = size.map { extents -> SampleTransform in
            spatialDims == 2 ? PillowResize(size: extents, filter: pipeline.interpolation) : Resize(size: extents, interpolation: .linear)
        }
        preprocess = pipeline.preprocessing.transform
        let sizeWords = size.map { $0.map(String.init).joined(separator: "x") } ?? "each input's own size"
        let resizeWords = spatialDims == 2 ? "Pillow \(pipeline.interpolation.rawValue) resize" : "linear resize"
        let besides = vectorInputs.map { " + \($0.name) (\($0.width))" }.joined()
        header = "model \(model.file.lastPathComponent) ('\(model.name)', input \(SymbolicTensor.describe(inputShape))\(besides), \(segmentation ? "segmentation, \(width) classes" : "\(width) outputs")); "
            + "\(spatialDims == 2 ? (channels == 1 ? "images: gray" : "images: RGB") : "volumes: \(channels) channel(s)"), \(resizeWords) to \(sizeWords), preprocessing \(pipeline.preprocessing)"
    }

    /// The model's inputs for `samples` (prepared images of files `indices`), in the model's
    /// order: the images as one batch, each vector input's values from the tabular CSV.
    public func modelInputs(_ samples: [Sample], indices: [Int]) throws -> [Tensor] {
        var tensors = [Tensor](repeating: Tensor(Float(0)), count: vectorInputs.count + 1)
        tensors[imagePosition] = try Tensor(shape: [samples.count] + samples[0].image.shape, scalars: samples.flatMap(\.image.values))
        for (number, input) in vectorInputs.enumerated() {
            tensors[input.position] = try Tensor(shape: [indices.count, input.width], scalars: indices.flatMap { vectors[$0][number] })
        }
        return tensors
    }

    /// Each file's values of each vector input, read from the tabular CSV; a missing CSV,
    /// column, row or number is an error naming the file.
    static func tabular(_ url: URL?, inputs: [(name: String, position: Int, width: Int)], files: [URL], model: String) throws -> [[[Float]]] {
        guard !inputs.isEmpty else {
            if let url { throw RunError("--tabular \(url.path): the model \(model) has no input beside the image") }
            return files.map { _ in [] }
        }
        func columns(_ input: (name: String, position: Int, width: Int)) -> [String] {
            input.width == 1 ? [input.name] : (0..<input.width).map { "\(input.name)_\($0)" }
        }
        guard let url else {
            throw RunError(
                "\(model): the model takes \(inputs.map { "\($0.name) (\($0.width) values)" }.joined(separator: ", ")) beside the image; "
                    + "give them with --tabular CSV (a path column and \(inputs.flatMap(columns).joined(separator: ", ")))")
        }
        let rows = CSV.parse(try String(contentsOf: url, encoding: .utf8))
        guard let header = rows.first?.fields, let pathColumn = header.firstIndex(of: "path") else {
            throw RunError("\(url.path): a tabular CSV needs a 'path' column naming each image")
        }
        let positions = try inputs.map { input in
            try columns(input).map { column -> Int in
                guard let position = header.firstIndex(of: column) else {
                    throw RunError("\(url.path): no column '\(column)' for the model's input '\(input.name)' (\(input.width) values; columns: \(header.joined(separator: ", ")))")
                }
                return position
            }
        }
        var byPath = [String: [[Float]]]()
        for row in rows.dropFirst() where row.fields.count > pathColumn {
            let file = URL(fileURLWithPath: row.fields[pathColumn], relativeTo: url.deletingLastPathComponent()).standardizedFileURL.path
            byPath[file] = try positions.map { columns in
                try columns.map { position in
                    guard position < row.fields.count, let value = Float(row.fields[position]) else {
                        throw RunError("\(url.path) line \(row.line): column '\(header[position])' is not a number")
                    }
                    return value
                }
            }
        }
        return try files.map { file in
            guard let values = byPath[file.standardizedFileURL.path] else {
                throw RunError("\(url.path): no row for \(file.path)")
            }
            return values
        }
    }

    /// Input `index` as read, resized (the pixels to show) and preprocessed (what the model
    /// takes); an input of another rank or channel count is an error naming the file.
    /// A NIfTI input's geometry comes with it (read with the voxels, once), in the file's voxel
    /// order; a DICOM series folder's in its stacking order with its affine. A model file was
    /// trained on arrays as its author read them, so nothing is reoriented here.
    public func sample(_ index: Int) throws -> (original: Sample, resized: Sample, input: Sample, geometry: NIfTIGeometry?) {
        let url = files.files[index]
        let original: Sample
        var geometry: NIfTIGeometry?
        var isDirectory: ObjCBool = false
        if ImageFile.isVolume(url.path) {
            let volume = try NIfTI.read(url)
            original = Sample(image: volume.image, info: files.info(at: index), spacing: volume.spacing)
            geometry = volume.geometry
        } else if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            // A DICOM series in its stacking order (along the slice normal), placed by its affine.
            let volume = try DICOMSeries.single(in: url).read()
            original = Sample(image: volume.image, info: files.info(at: index), spacing: volume.spacing)
            geometry = NIfTIGeometry(affine: volume.geometry)
        } else {
            original = try files.sample(at: index)
        }
        let spatialDims = inputShape.count - 1
        guard original.image.shape.count == inputShape.count else {
            throw RunError(
                "\(files.files[index].path): a \(original.image.shape.count - 1)D input \(original.image.shape); the model takes \(spatialDims)D inputs \(SymbolicTensor.describe(inputShape))")
        }
        guard original.image.channels == inputShape.last! else {
            throw RunError("\(files.files[index].path): \(original.image.channels) channels; the model takes \(inputShape.last!!)")
        }
        var random = RandomGenerator(seed: 0)
        let resized = try resize?.apply(original, random: &random) ?? original
        let input = try preprocess?.apply(resized, random: &random) ?? resized
        return (original, resized, input, geometry)
    }
}
