import Foundation
import ZooCore
import ZooTensor

/// Keras weight files in and out of Zoo models.
public enum KerasWeights {
    /// Loads a Keras weight file of any format (detected by content) into `model`.
    ///
    /// Keras 2 files (`.h5` weights, full-model `.h5`) and `.keras` archives name their
    /// layers, so weights match by layer name path and weight name; a file layer with a
    /// Keras automatic name (`conv2d_93`) that matches nothing is paired, in order, with a
    /// model layer of the same class that has an automatic name too. Keras 3 `.weights.h5`
    /// files match by class key (`conv2d_1`: the second Conv2D of `model.layers`) and weight
    /// position. Everything is read and checked first; the model changes only when the whole
    /// load succeeds, so a failed load leaves it as it was.
    @discardableResult
    public static func load(into model: Module, from url: URL, options: WeightLoadOptions = .strict) throws -> WeightLoadReport {
        let source = try WeightSource.read(url)
        return try load(into: model, from: source, options: options)
    }

    @discardableResult
    static func load(into model: Module, from source: WeightSource, options: WeightLoadOptions) throws -> WeightLoadReport {
        var weights = source.weights
        for index in weights.indices {
            for rule in options.prefixMap where weights[index].layer.hasPrefix(rule.from) {
                weights[index].layer = rule.to + weights[index].layer.dropFirst(rule.from.count)
            }
        }
        var layers = source.namedLayers ? ModelStructure.layersByName(model) : ModelStructure.layersByClassKey(model)
        if source.namedLayers { weights = placeBareNestedWeights(weights, model: model, layers: layers) }
        var report = WeightLoadReport(format: source.format)
        if source.namedLayers { pairAutomaticNames(weights, model: model, &layers, &report) }

        let paths = ModelStructure.paths(model)
        var staged = [(Parameter, [Float])]()
        var provided = Set<ObjectIdentifier>()
        var problems = [String]()
        var grayOffset: (kernel: String, values: [Float])?
        for weight in weights {
            guard let layer = layers[weight.layer], let parameter = parameter(of: layer, weight.key), let path = paths[ObjectIdentifier(parameter)] else {
                report.unexpected.append(weight.location)
                continue
            }
            guard provided.insert(ObjectIdentifier(parameter)).inserted else {
                problems.append("\(weight.location): a second value for \(path)")
                continue
            }
            // Integers only for statistics (a Normalization's count), never for trained weights.
            guard weight.dataType.isFloatingPoint || (weight.dataType.isInteger && parameter.kind == .buffer), let values = weight.values else {
                problems.append(
                    "\(weight.location): dtype \(weight.dataType), weights must be float32 or float64 (integers only for statistics; for \(path))")
                continue
            }
            let modelShape = parameter.value.shape
            if weight.shape == modelShape {
                staged.append((parameter, values))
                report.loaded.append(path)
            } else if let (adapted, offset) = adaptFirstConvolution(values, weight.shape, to: modelShape, path: path, options: options) {
                staged.append((parameter, adapted))
                report.loaded.append(path)
                report.adapted.append("\(path): \(weight.shape) summed over input channels to \(modelShape)")
                grayOffset = offset.contains { $0 != 0 } ? (path, offset) : nil
            } else {
                report.mismatched.append(.init(path: path, location: weight.location, fileShape: weight.shape, modelShape: modelShape))
            }
        }
        let mismatchedPaths = Set(report.mismatched.map(\.path))
        report.missing = model.namedParameters.map(\.path).filter { !report.loaded.contains($0) && !mismatchedPaths.contains($0) }

        if report.loaded.isEmpty && !weights.isEmpty {
            problems.insert("no weight of the file matches the model; the file's layers: \(source.layers.joined(separator: ", "))", at: 0)
        }
        if !options.skipMismatch {
            problems += report.mismatched.map { "\($0.location): shape \($0.fileShape), the model's \($0.path) has \($0.modelShape)" }
        }
        if !options.allowMissing && !report.missing.isEmpty {
            problems += report.missing.map { "\($0): not in the file (missing)" }
        }
        if !options.allowUnexpected && !report.unexpected.isEmpty {
            problems += report.unexpected.map { "\($0): matches no weight of the model (unexpected)" }
        }
        if let grayOffset {
            do {
                try absorb(grayOffset.values, after: grayOffset.kernel, model: model, staged: &staged, paths: paths, report: &report)
            } catch {
                problems.append("\(error)")
            }
        }
        if !problems.isEmpty { throw WeightLoadError(file: source.url.path, problems: problems, report: report) }

        // Commit: every value was read and checked above.
        for (parameter, values) in staged {
            parameter.value.withUnsafeMutableBufferPointer { target in
                values.withUnsafeBufferPointer { target.baseAddress!.update(from: $0.baseAddress!, count: values.count) }
            }
        }
        return report
    }

    /// The parameter a file weight names: by Keras 2 name (Keras 3's legacy writer calls a
    /// depthwise kernel `kernel`, Zoo keeps Keras 2's `depthwise_kernel`) or by position.
    /// Whether a file's weight name denotes a parameter of that name: the same, or Keras 3's
    /// `kernel` for the Keras 2 `depthwise_kernel` of a depthwise convolution.
    static func names(_ fileName: String, _ parameterName: String) -> Bool {
        fileName == parameterName || (fileName == "kernel" && parameterName == "depthwise_kernel")
    }

    static func parameter(of layer: Layer, _ key: SourceWeight.Key) -> Parameter? {
        switch key {
        case .name(let name):
            return layer.parameters.first { $0.name == name } ?? layer.parameters.first { names(name, $0.name) }
        case .index(let index):
            return index < layer.parameters.count ? layer.parameters[index] : nil
        }
    }

    /// Keras 3.0's legacy `.h5` writer names a nested model's weights without their layers
    /// (`kernel`, `gamma` in group `backbone`, where later releases write `stem_conv/kernel`), and
    /// Keras reads them back by position. So does this: the weights of a group that names a
    /// nested model and no layer are placed, in order, on that model's weights, when their count
    /// and every name agree (`kernel` on `.../kernel`); otherwise they stay as they are and are
    /// reported as unmatched.
    static func placeBareNestedWeights(_ weights: [SourceWeight], model: Module, layers: [String: Layer]) -> [SourceWeight] {
        var result = weights
        let unmatched = Dictionary(grouping: weights.indices.filter { layers[weights[$0].layer] == nil }, by: { weights[$0].layer })
        guard !unmatched.isEmpty else { return weights }
        let named = model.namedParameters
        for (group, indices) in unmatched {
            let targets = named.filter { $0.path.hasPrefix(group + "/") }
            guard targets.count == indices.count, !targets.isEmpty else { continue }
            var placed = [(Int, String, String)]()
            for (index, target) in zip(indices, targets) {
                guard case .name(let name) = weights[index].key, let slash = target.path.lastIndex(of: "/") else { break }
                let weightName = String(target.path[target.path.index(after: slash)...])
                guard names(name, weightName) else { break }
                placed.append((index, String(target.path[..<slash]), weightName))
            }
            guard placed.count == indices.count else { continue }
            for (index, layer, name) in placed {
                result[index].layer = layer
                result[index].key = .name(name)
            }
        }
        return result
    }

    /// A file layer whose name matches no model layer, when both names are Keras automatic
    /// names of one class (`conv2d_93` and `conv2d_2`), is paired with the model's unmatched
    /// layers of that class in order: names from Keras's global counters depend on what the
    /// Python program built before, not on the architecture.
    static func pairAutomaticNames(_ weights: [SourceWeight], model: Module, _ layers: inout [String: Layer], _ report: inout WeightLoadReport) {
        func split(_ path: String) -> (parent: String, name: String) {
            guard let slash = path.lastIndex(of: "/") else { return ("", path) }
            return (String(path[...slash]), String(path[path.index(after: slash)...]))
        }
        var fileOrder = [String]()
        for weight in weights where layers[weight.layer] == nil && !fileOrder.contains(weight.layer) { fileOrder.append(weight.layer) }
        guard !fileOrder.isEmpty else { return }
        let claimed = Set(weights.map(\.layer))
        let position = Dictionary(model.layers.enumerated().map { (ObjectIdentifier($1), $0) }, uniquingKeysWith: { first, _ in first })
        func order(of layer: Layer) -> Int { position[ObjectIdentifier(layer)] ?? Int.max }
        var unmatched = [String: [String]]()  // parent + base -> model layer paths, in model order
        let modelOrder = layers.filter { !claimed.contains($0.key) && !$0.value.parameters.isEmpty }
            .sorted { lhs, rhs in order(of: lhs.value) < order(of: rhs.value) }
        for (path, layer) in modelOrder {
            let (parent, name) = split(path)
            let base = snakeCase(layer.kerasClassName)
            guard ModelStructure.automaticBase(name) == base else { continue }
            unmatched[parent + base, default: []].append(path)
        }
        for filePath in fileOrder {
            let (parent, name) = split(filePath)
            let group = parent + ModelStructure.automaticBase(name)
            guard var candidates = unmatched[group], !candidates.isEmpty else { continue }
            let modelPath = candidates.removeFirst()
            unmatched[group] = candidates
            layers[filePath] = layers[modelPath]
            report.renamedLayers.append((filePath, modelPath))
        }
    }

    /// The first convolution's RGB kernel summed over its input channels for a model with one
    /// input channel: (..., 3, out) -> (..., 1, out), each channel's kernel scaled by the gray
    /// deviation over its own (`options.grayInput`; 1 for plain summing, which keeps the
    /// response to a gray image R = G = B). The second result is the constant per output
    /// channel that the gray form's mean leaves over: sum over taps and channels of
    /// W (gray mean - channel mean) / channel deviation, to be added to the output.
    static func adaptFirstConvolution(_ values: [Float], _ fileShape: [Int], to modelShape: [Int], path: String, options: WeightLoadOptions) -> ([Float], [Float])? {
        guard let first = options.firstConvolution, path == first + "/kernel", fileShape.count >= 3,
              fileShape.count == modelShape.count, modelShape[modelShape.count - 2] == 1
        else { return nil }
        var expected = fileShape
        expected[expected.count - 2] = 1
        guard expected == modelShape else { return nil }
        let inputs = fileShape[fileShape.count - 2], outputs = fileShape[fileShape.count - 1]
        let gray = options.grayInput.flatMap { $0.channelMeans.count == inputs && $0.channelDeviations.count == inputs ? $0 : nil }
        let taps = values.count / (inputs * outputs)
        var result = [Float](repeating: 0, count: taps * outputs)
        var offset = [Double](repeating: 0, count: outputs)
        for tap in 0..<taps {
            for input in 0..<inputs {
                let scale = gray.map { $0.grayDeviation / $0.channelDeviations[input] } ?? 1
                let shift = gray.map { Double($0.grayMean - $0.channelMeans[input]) / Double($0.channelDeviations[input]) } ?? 0
                for output in 0..<outputs {
                    let w = values[(tap * inputs + input) * outputs + output]
                    result[tap * outputs + output] += w * scale
                    offset[output] += Double(w) * shift
                }
            }
        }
        return (result, offset.map(Float.init))
    }

    /// Adds `offset` to the output of the convolution whose kernel is `kernelPath`: to its
    /// bias, or (a convolution without one) by lowering the moving mean of the batch
    /// normalization that follows it, which is the same in inference mode and is absorbed by
    /// the batch statistics in training mode.
    static func absorb(
        _ offset: [Float], after kernelPath: String, model: Module, staged: inout [(Parameter, [Float])],
        paths: [ObjectIdentifier: String], report: inout WeightLoadReport
    ) throws {
        let layerName = String(kernelPath.dropLast("/kernel".count))
        func stagedIndex(_ path: String) -> Int? { staged.firstIndex { paths[ObjectIdentifier($0.0)] == path } }
        if let index = stagedIndex(layerName + "/bias") {
            staged[index].1 = zip(staged[index].1, offset).map { $0 + $1 }
            report.adapted.append("\(layerName)/bias: the gray input's mean offset added")
            return
        }
        let layers = model.layers
        let name = layerName.split(separator: "/").last.map(String.init)
        guard let position = layers.firstIndex(where: { $0.name == name }),
            let norm = layers[(position + 1)...].first(where: { $0.kerasClassName == "BatchNormalization" }),
            let index = staged.firstIndex(where: { paths[ObjectIdentifier($0.0)]?.hasSuffix(norm.name + "/moving_mean") == true }),
            staged[index].1.count == offset.count
        else {
            throw WeightLoadError(file: kernelPath, problems: [
                "\(layerName) has no bias and no loaded batch normalization after it to take the gray input's mean offset; "
                    + "feed RGB images (the gray image repeated) instead"])
        }
        staged[index].1 = zip(staged[index].1, offset).map { $0 - $1 }
        report.adapted.append("\(norm.name)/moving_mean: lowered by the gray input's mean offset")
    }
}
