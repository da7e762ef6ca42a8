import ArgumentParser
import Foundation
import ZooKit

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict images with a trained run and write a CSV of probabilities.",
        discussion: """
            Inputs are image files (PNG, JPEG, NIfTI), folders (every image below them) or CSV files with a path column (relative to the CSV). Each image goes through the run's evaluation pipeline (resize, channels, preprocessing) and its best checkpoint. Classification runs write path, predicted class and one probability per class; segmentation runs write the predicted foreground voxels and, with --masks, the predicted masks (PNG 0/255 or NIfTI, at the model's input size).

            Examples:
              zoo predict runs/lidc/small_cnn scans/nodule-017.png scans/more/ --output nodules.csv
              zoo predict runs/parotid_ultrasound/segmentation/unet2d new-images.csv --masks masks/ --output voxels.csv
            """)

    @Argument(help: "A run directory.")
    var runDirectory: String

    @Argument(help: "Images, folders of images, or CSV files with a path column.")
    var inputs: [String]

    @Option(help: "The CSV to write (default: print it).")
    var output: String?

    @Option(help: "Segmentation runs: the folder for the predicted masks.")
    var masks: String?

    func run() throws {
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
}
