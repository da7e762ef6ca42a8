import Foundation
import ZooCore
import ZooData
import ZooMetrics
import ZooTensor

extension RestoredRun {
    /// Predicts the images `inputs` name (files, folders, CSVs with a `path` column) with the
    /// run's model and evaluation pipeline, and returns the CSV: per image its id (the path),
    /// its label (as a class index, when every input's CSV has a `label` column: the CSV then
    /// feeds `zoo compare` as it is), the predicted class and one probability per class; for segmentation the predicted
    /// foreground voxels and, when `masks` is given, the mask file written there: PNG 0/255 at
    /// the model's input size for images; for volumes (NIfTI, DICOM series folders) NIfTI in
    /// the input's own grid and affine (`ImageFile.writeMask`) when the evaluation pipeline
    /// keeps the volume's extent (intensity steps, resize, spacing), else on the model's grid
    /// and the CSV's mask_grid column says so. A two-class run calls an image positive at the
    /// threshold its evaluation chose on validation (`threshold`), not at the argmax.
    public func predictFiles(_ inputs: [URL], masks: URL? = nil) throws -> String {
        let channels: ChannelMode = sourceChannels == 1 ? .gray : (sourceChannels == 3 ? .rgb : .keep)
        let files = try FileListDataset(inputs: inputs, channels: channels, bitDepth: config.data.bitDepth)
        guard files.count > 0 else { throw RunError("no images to predict in \(inputs.map(\.path).joined(separator: ", "))") }
        let loader = try evaluationLoader(Array(0..<files.count), dataset: files)
        let predictor = self.predictor()
        if variant.task == .segmentation {
            if let masks { try FileManager.default.createDirectory(at: masks, withIntermediateDirectories: true) }
            var lines = ["id,predicted_voxels" + (masks == nil ? "" : ",mask,mask_grid")]
            // Whether the evaluation steps keep a volume's place: the same pipeline for every
            // input, so asked once, of the first volume.
            var keepsVolumeGeometry: Bool?
            _ = try predictor.predict(loader) { id, map in
                let foreground = map.labels.filter { $0 != 0 }.count
                var line = "\(CSV.escape(id)),\(foreground)"
                if let masks {
                    let volume = map.shape.count == 3
                    let name = URL(fileURLWithPath: id).deletingPathExtension().deletingPathExtension().lastPathComponent + (volume ? "-mask.nii.gz" : "-mask.png")
                    let url = masks.appendingPathComponent(name)
                    let image = ImageArray(shape: map.shape + [1], values: map.labels.map { volume ? Float($0) : ($0 != 0 ? 255 : 0) })
                    var grid = "model"
                    let index = files.files.firstIndex(where: { $0.path == id })
                    if volume, let index, keepsVolumeGeometry == nil { keepsVolumeGeometry = try keepsGeometry(files.sample(at: index)) }
                    if volume, let index, keepsVolumeGeometry == true {
                        try ImageFile.writeMask(image, for: files.files[index], to: url)
                        grid = "input"
                    } else if volume {
                        try NIfTI.write(image, as: .uint8, to: url)
                    } else {
                        try PNG.write(image, to: url)
                    }
                    line += ",\(CSV.escape(url.path)),\(grid)"
                }
                lines.append(line)
            }
            return lines.joined(separator: "\n") + "\n"
        }
        let predictions = try predictor.predict(loader)
        let names = dataset.classNames.isEmpty ? (0..<(predictions.probabilities.first?.count ?? 0)).map { "class\($0)" } : dataset.classNames
        // The label column, when every input's CSV gave one: the rows then feed zoo compare.
        let labels = try files.labelTexts.enumerated().map { index, text -> Int? in
            guard let text else { return nil }
            if let position = names.firstIndex(of: text) { return position }
            if let number = Int(text), names.indices.contains(number) { return number }
            throw RunError("\(files.files[index].path): label '\(text)' is not one of the run's classes \(names) (or their indices)")
        }
        let labelled = !labels.isEmpty && labels.allSatisfy { $0 != nil }
        var lines = ["id," + (labelled ? "label," : "") + "predicted," + names.map { "p_\($0)" }.joined(separator: ",")]
        let threshold = try self.threshold
        for (index, (id, p)) in zip(predictions.ids, predictions.probabilities).enumerated() {
            let best = Predictions.predictedClass(p, threshold: threshold?.value)
            let label = labelled ? "\(labels[index]!)," : ""
            lines.append("\(CSV.escape(id)),\(label)\(CSV.escape(names[best]))," + p.map { "\($0)" }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Whether the evaluation pipeline leaves `sample` on a grid of known place (only steps that
    /// keep the volume's extent): a mask predicted on it can go back to the input's grid.
    func keepsGeometry(_ sample: Sample) throws -> Bool {
        guard sample.geometry != nil else { return false }
        var random = RandomGenerator(seed: config.seed)
        return try pipeline.eval.apply(sample, random: &random).geometry != nil
    }

    /// The threshold the run's evaluation chose and applied (metrics.json); nil for a run that
    /// has not finished or is not a two-class classifier.
    public var threshold: ChosenThreshold? {
        get throws {
            guard FileManager.default.fileExists(atPath: run.metrics.path) else { return nil }
            struct Recorded: Decodable { var threshold: ChosenThreshold? }
            do {
                return try JSONDecoder().decode(Recorded.self, from: try Data(contentsOf: run.metrics)).threshold
            } catch {
                throw RunError("\(run.metrics.path) is not readable: \(error)")
            }
        }
    }

    /// What `zoo predict` applies, in words: the pipeline and the decision rule.
    public var predictionHeader: String {
        get throws {
            var lines = ["pipeline (\(config.data.bitDepth)-bit images): " + pipeline.evalSteps.joined(separator: " -> ")]
            if variant.task == .classification {
                if let threshold = try threshold, dataset.classNames.count <= 2 {
                    let positive = dataset.classNames.count == 2 ? dataset.classNames[1] : "class1"
                    lines.append("predicted: \(positive) when p_\(positive) >= threshold \(threshold)")
                } else {
                    lines.append("predicted: the most probable class")
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}
