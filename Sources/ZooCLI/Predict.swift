import ArgumentParser
import Foundation
import ZooData
import ZooKit

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict images with a trained run, or with a Keras model file, and write a CSV of probabilities.",
        discussion: """
            Inputs are image files (PNG, JPEG, DICOM, NIfTI), folders (every image below them; a folder holding one DICOM series is one volume) or CSV files with a path column (relative to the CSV). Each image goes through the run's evaluation pipeline (resize, channels, preprocessing) and its best checkpoint. Classification runs write path, predicted class and one probability per class; segmentation runs write the predicted foreground voxels and, with --masks, the predicted masks: PNG 0/255 at the model's input size for images, NIfTI on each volume's own grid and affine (mask_grid: input) unless the evaluation pipeline crops (mask_grid: model).

            A Keras .keras archive or full-model .h5 in place of the run has no pipeline of its own: images are read as Keras's load_img reads them (channels converted, then resized by Pillow's rules on the 8-bit values, --interpolation bilinear or nearest), then --preprocessing (tf, caffe, torch, none, or rescale:SCALE[:OFFSET] as Keras's Rescaling: rescale:0.00392156862745098 is x/255). --size defaults to the model's input, --channels to the model's, --classes names the output columns. The outputs are the model's own (a Keras classifier's softmax probabilities); the printed header says what was applied. --format json writes one object per image.

            Examples:
              zoo predict runs/lidc/small_cnn scans/nodule-017.png scans/more/ --output nodules.csv
              zoo predict colleague.keras images/ --preprocessing rescale:0.00392156862745098 --classes benign,malignant
              zoo predict image-and-clinical.keras images/ --tabular clinical.csv
              zoo predict runs/parotid_ultrasound/segmentation/unet2d new-images.csv --masks masks/ --output voxels.csv
            """)

    @Argument(help: "A run directory, one of its checkpoints, a Keras .keras / full-model .h5 file, or a Zoo checkpoint from zoo import-keras.")
    var model: String

    @Argument(help: "Images, folders of images, or CSV files with a path column.")
    var inputs: [String]

    @Option(help: "The CSV to write (default: print it).")
    var output: String?

    @Option(help: "Segmentation: the folder for the predicted masks.")
    var masks: String?

    @Option(help: "Model files, segmentation: the folder for the probability maps (16-bit PNG, or float32 NIfTI for NIfTI inputs).")
    var probabilities: String?

    @OptionGroup var file: FilePipelineOptions

    @Option(help: "Model files: csv or json.")
    var format: String = "csv"

    func run() throws {
        switch try ModelArgument(model) {
        case .run(let restored):
            try ModelArgument.refuse(
                fileOptions: file.given + (probabilities == nil ? [] : ["--probabilities"]) + (format == "csv" ? [] : ["--format"]), forRun: model)
            FileHandle.standardError.write(Data((try restored.predictionHeader + "\n").utf8))
            let csv = try restored.predictFiles(inputs.map { URL(fileURLWithPath: $0) }, masks: masks.map { URL(fileURLWithPath: $0, isDirectory: true) })
            try emit(csv, count: csv.split(separator: "\n").count - 1)
        case .file(let imported):
            guard format == "csv" || format == "json" else { throw ValidationError("--format '\(format)': csv or json") }
            let result = try ModelFilePrediction.predict(
                model: imported, inputs: inputs.map { URL(fileURLWithPath: $0) }, pipeline: try file.pipeline(),
                masks: masks.map { URL(fileURLWithPath: $0, isDirectory: true) }, probabilities: probabilities.map { URL(fileURLWithPath: $0, isDirectory: true) })
            FileHandle.standardError.write(Data((result.header + "\n").utf8))
            try emit(format == "json" ? try result.json() : result.csv, count: result.ids.count)
        }
    }

    func emit(_ text: String, count: Int) throws {
        if let output {
            try text.write(to: URL(fileURLWithPath: output), atomically: true, encoding: .utf8)
            print("wrote \(output): \(count) images")
        } else {
            print(text, terminator: "")
        }
    }
}

/// How a model file's images are prepared (a run has its own pipeline): `zoo predict`,
/// `zoo eval --data` and `zoo gradcam` on a model file.
struct FilePipelineOptions: ParsableArguments {
    @Option(help: "Model files: the input size, HxW (DxHxW for volumes) or one number (default: the model's input).")
    var size: String?

    @Option(help: "Model files: gray or rgb (default: the model's channels).")
    var channels: String?

    @Option(help: "Model files: nearest or bilinear, Pillow's (default: bilinear).")
    var interpolation: String?

    @Option(help: "Model files: tf, caffe, torch, none or rescale:SCALE[:OFFSET] (default: none).")
    var preprocessing: String?

    @Option(help: "Model files: the output classes' names, comma-separated.")
    var classes: String?

    @Option(help: "Model files with inputs beside the image: a CSV of a path column and each input's values (a column named as the input, or <input>_0, <input>_1, ...).")
    var tabular: String?

    /// The flags the user set.
    var given: [String] {
        [("--size", size), ("--channels", channels), ("--interpolation", interpolation), ("--preprocessing", preprocessing), ("--classes", classes), ("--tabular", tabular)]
            .compactMap { $0.1 == nil ? nil : $0.0 }
    }

    func pipeline() throws -> FileModelPipeline {
        guard let filter = PillowResize.Filter(rawValue: interpolation ?? "bilinear") else {
            throw ValidationError("--interpolation '\(interpolation ?? "")': nearest or bilinear")
        }
        var channelCount: Int?
        switch channels {
        case nil: channelCount = nil
        case "gray"?: channelCount = 1
        case "rgb"?: channelCount = 3
        case let other?: throw ValidationError("--channels '\(other)': gray or rgb")
        }
        var extents: [Int]?
        if let size {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            guard (1...3).contains(parts.count), parts.count == size.split(separator: "x").count, parts.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--size '\(size)': HxW, DxHxW or one number")
            }
            extents = parts.count == 1 ? [parts[0], parts[0]] : parts
        }
        return FileModelPipeline(
            size: extents, channels: channelCount, interpolation: filter,
            preprocessing: try FileModelPipeline.Preprocessing(parsing: preprocessing ?? "none"),
            classes: classes.map { $0.split(separator: ",").map(String.init) }, tabular: tabular.map { URL(fileURLWithPath: $0) })
    }
}
