import ArgumentParser
import Foundation
import ZooData
import ZooKit

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict images with a trained run, or with a Keras model file, and write a CSV of probabilities.",
        discussion: """
            Inputs are image files (PNG, JPEG, NIfTI), folders (every image below them) or CSV files with a path column (relative to the CSV). Each image goes through the run's evaluation pipeline (resize, channels, preprocessing) and its best checkpoint. Classification runs write path, predicted class and one probability per class; segmentation runs write the predicted foreground voxels and, with --masks, the predicted masks (PNG 0/255 or NIfTI, at the model's input size).

            A Keras .keras archive or full-model .h5 in place of the run has no pipeline of its own: images are read as Keras's load_img reads them (channels converted, then resized by Pillow's rules on the 8-bit values, --interpolation bilinear or nearest), then --preprocessing (tf, caffe, torch, none, or rescale:SCALE[:OFFSET] as Keras's Rescaling: rescale:0.00392156862745098 is x/255). --size defaults to the model's input, --channels to the model's, --classes names the output columns. The outputs are the model's own (a Keras classifier's softmax probabilities); the printed header says what was applied. --format json writes one object per image.

            Examples:
              zoo predict runs/lidc/small_cnn scans/nodule-017.png scans/more/ --output nodules.csv
              zoo predict colleague.keras images/ --preprocessing rescale:0.00392156862745098 --classes benign,malignant
              zoo predict runs/parotid_ultrasound/segmentation/unet2d new-images.csv --masks masks/ --output voxels.csv
            """)

    @Argument(help: "A run directory, or a Keras .keras / full-model .h5 file.")
    var runDirectory: String

    @Argument(help: "Images, folders of images, or CSV files with a path column.")
    var inputs: [String]

    @Option(help: "The CSV to write (default: print it).")
    var output: String?

    @Option(help: "Segmentation runs: the folder for the predicted masks.")
    var masks: String?

    @Option(help: "Model files: the input size, HxW or one number (default: the model's input).")
    var size: String?

    @Option(help: "Model files: gray or rgb (default: the model's channels).")
    var channels: String?

    @Option(help: "Model files: nearest or bilinear, Pillow's (default: bilinear).")
    var interpolation: String = "bilinear"

    @Option(help: "Model files: tf, caffe, torch, none or rescale:SCALE[:OFFSET] (default: none).")
    var preprocessing: String = "none"

    @Option(help: "Model files: the output columns' names, comma-separated.")
    var classes: String?

    @Option(help: "Model files: csv or json.")
    var format: String = "csv"

    func run() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try predictWithModelFile()
        }
        let restored = try RestoredRun(URL(fileURLWithPath: runDirectory))
        FileHandle.standardError.write(Data((try restored.predictionHeader + "\n").utf8))
        let csv = try restored.predictFiles(inputs.map { URL(fileURLWithPath: $0) }, masks: masks.map { URL(fileURLWithPath: $0, isDirectory: true) })
        if let output {
            try csv.write(to: URL(fileURLWithPath: output), atomically: true, encoding: .utf8)
            print("wrote \(output): \(csv.split(separator: "\n").count - 1) images")
        } else {
            print(csv, terminator: "")
        }
    }

    /// `zoo predict MODEL.keras IMAGES`: the file pipeline of the options.
    func predictWithModelFile() throws {
        guard let filter = PillowResize.Filter(rawValue: interpolation) else {
            throw ValidationError("--interpolation '\(interpolation)': nearest or bilinear")
        }
        guard format == "csv" || format == "json" else { throw ValidationError("--format '\(format)': csv or json") }
        var channelCount: Int?
        switch channels {
        case nil: channelCount = nil
        case "gray"?: channelCount = 1
        case "rgb"?: channelCount = 3
        case let other?: throw ValidationError("--channels '\(other ?? "")': gray or rgb")
        }
        var extents: [Int]?
        if let size {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            guard (parts.count == 1 || parts.count == 2), parts.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--size '\(size)': HxW or one number")
            }
            extents = parts.count == 1 ? [parts[0], parts[0]] : parts
        }
        let pipeline = FileModelPipeline(
            size: extents, channels: channelCount, interpolation: filter,
            preprocessing: try FileModelPipeline.Preprocessing(parsing: preprocessing),
            classes: classes.map { $0.split(separator: ",").map(String.init) })
        let result = try ModelFilePrediction.predict(
            model: URL(fileURLWithPath: runDirectory), inputs: inputs.map { URL(fileURLWithPath: $0) }, pipeline: pipeline)
        FileHandle.standardError.write(Data((result.header + "\n").utf8))
        let text = format == "json" ? try result.json() : result.csv
        if let output {
            try text.write(to: URL(fileURLWithPath: output), atomically: true, encoding: .utf8)
            print("wrote \(output): \(result.ids.count) images")
        } else {
            print(text, terminator: "")
        }
    }
}
