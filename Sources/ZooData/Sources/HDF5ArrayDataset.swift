import Foundation
import ZooCore
import ZooHDF5

/// Images (N x H x W x C) or volumes (N x D x H x W x C) held as arrays in an HDF5 file, as
/// h5py and Keras users save them, with class labels and/or segmentation masks.
///
/// Every array is read once, when the dataset is opened, and converted to Float32 by HDF5
/// (any float or integer type it reads: uint8 images, int64 labels, float64 masks). Reading
/// everything up front keeps `sample(at:)` off HDF5, whose serial build is not thread-safe,
/// so the loader's workers can share the dataset; the price is the Float32 copy in memory
/// (4 bytes a value, whatever the file's type).
public struct HDF5ArrayDataset: Dataset {
    /// Where the arrays are in the file (paths from the root; `/` separates groups).
    public struct Names: Sendable, Equatable {
        /// The images: rank 4 (N, H, W, C) or rank 5 (N, D, H, W, C).
        public var images: String
        /// Class labels: N integers, N x 1, or N x K one-hot rows; nil for unlabelled data.
        public var labels: String?
        /// Masks of class indices: N x spatial (x 1), the images' spatial shape; nil for none.
        public var masks: String?
        /// Integer patient (group) ids, N of them; nil for none.
        public var groups: String?
        /// The string-array attribute holding the class names, looked up on the labels
        /// dataset, then on the root.
        public var classNamesAttribute: String

        public init(images: String = "images", labels: String? = "labels", masks: String? = nil, groups: String? = nil,
                    classNamesAttribute: String = "class_names") {
            self.images = images
            self.labels = labels
            self.masks = masks
            self.groups = groups
            self.classNamesAttribute = classNamesAttribute
        }
    }

    /// The file the arrays came from.
    public let file: URL
    /// The dataset paths used.
    public let names: Names
    public let classNames: [String]
    /// One sample's shape: [H, W, C] or [D, H, W, C].
    public let sampleShape: [Int]
    public let count: Int
    let images: [Float]
    let labels: [Int]?
    let masks: [Float]?
    let groups: [String]?

    /// Reads the arrays. Errors name the file and the dataset path: a missing dataset, an
    /// image array that is not rank 4 or 5, a label or group count that differs from the
    /// image count, a label that is not a class index, a mask shape that differs from the
    /// images'. `classNames`, when given, wins over the file's attribute; without either the
    /// classes are "0", "1", ... up to the largest label.
    public init(file: URL, names: Names = Names(), classNames: [String]? = nil) throws {
        self.file = file
        var names = names
        for key in [\Names.labels, \Names.masks, \Names.groups] { names[keyPath: key] = names[keyPath: key].map(HDF5ArrayDataset.relative) }
        names.images = HDF5ArrayDataset.relative(names.images)
        self.names = names
        let path = file.path
        func failure(_ dataset: String, _ message: String) -> DataError { DataError("\(path): '\(dataset)'", message) }
        do {
            let root = try HDF5File.open(file).root
            func open(_ name: String) throws -> HDF5Dataset {
                switch root.kind(of: name) {
                case .dataset?: return try root.dataset(name)
                case nil:
                    // Only lists alternatives in the message; an unlistable file lists none.
                    let available = (try? root.datasetPaths()) ?? []
                    throw failure(name, "no such dataset; the file holds \(available.isEmpty ? "none" : available.joined(separator: ", "))")
                default: throw failure(name, "is not a dataset")
                }
            }
            func numeric(_ dataset: HDF5Dataset, _ name: String) throws {
                if case .integer = dataset.dataType { return }
                if dataset.dataType.isFloatingPoint { return }
                throw failure(name, "holds \(dataset.dataType), not numbers")
            }

            let imageSet = try open(names.images)
            try numeric(imageSet, names.images)
            let shape = imageSet.shape
            guard shape.count == 4 || shape.count == 5 else {
                throw failure(names.images, "has shape \(shape) (rank \(shape.count)); expected N x H x W x C or N x D x H x W x C (channels last, a channel axis even for gray)")
            }
            let count = shape[0], sampleShape = Array(shape.dropFirst())
            let images = try imageSet.readFloats()

            func checkCount(_ dataShape: [Int], _ name: String, _ what: String) throws {
                guard dataShape.first == count else {
                    throw failure(name, "holds \(dataShape.first ?? 1) \(what) (shape \(dataShape)) for \(count) images in '\(names.images)'")
                }
            }

            var fileClassNames: [String]?
            var labels: [Int]?, masks: [Float]?, groups: [String]?
            if let labelName = names.labels {
                let labelSet = try open(labelName)
                try numeric(labelSet, labelName)
                try checkCount(labelSet.shape, labelName, "labels")
                labels = try HDF5ArrayDataset.classIndices(labelSet.readDoubles(), shape: labelSet.shape) { failure(labelName, $0) }
                for object in [labelSet as HDF5Object, root] where fileClassNames == nil && object.hasAttribute(names.classNamesAttribute) {
                    fileClassNames = try object.stringsAttribute(names.classNamesAttribute)
                }
            }

            if let maskName = names.masks {
                let maskSet = try open(maskName)
                try numeric(maskSet, maskName)
                let spatial = Array(sampleShape.dropLast())
                let maskShape = maskSet.shape
                guard maskShape == [count] + spatial + [1] || maskShape == [count] + spatial else {
                    throw failure(maskName, "has shape \(maskShape); the masks must be \([count] + spatial + [1]) (or without the channel axis) for images of shape \(shape) in '\(names.images)'")
                }
                masks = try maskSet.readFloats()
            }

            if let groupName = names.groups {
                let groupSet = try open(groupName)
                guard case .integer = groupSet.dataType else { throw failure(groupName, "holds \(groupSet.dataType), not integer ids") }
                try checkCount(groupSet.shape, groupName, "group ids")
                guard groupSet.count == count else { throw failure(groupName, "has shape \(groupSet.shape); expected one id per image") }
                groups = try groupSet.readInt64s().map { String($0) }
            }

            let largest = (labels?.max() ?? -1) + 1
            let classes = classNames ?? fileClassNames ?? (0..<largest).map(String.init)
            if largest > classes.count {
                let source = classNames != nil ? "the classes given" : "the attribute '\(names.classNamesAttribute)'"
                throw failure(names.labels ?? "", "has label \(largest - 1), but \(source) name only \(classes.count): \(classes)")
            }
            self.classNames = classes
            self.count = count
            self.sampleShape = sampleShape
            self.images = images
            self.labels = labels
            self.masks = masks
            self.groups = groups
        } catch let error as HDF5Error {
            throw DataError(error.path.isEmpty ? path : "\(path): '\(error.path)'", error.message)
        }
    }

    /// A dataset path without the leading `/` that h5py users often write.
    static func relative(_ name: String) -> String { String(name.drop { $0 == "/" }) }

    /// Class indices from label values: one per row for N or N x 1, the position of the 1 in
    /// N x K one-hot rows. A value that is not a non-negative integer is an error naming its row.
    static func classIndices(_ values: [Double], shape: [Int], _ failure: (String) -> DataError) throws -> [Int] {
        let rows = shape.first ?? 1
        let width = rows == 0 ? 0 : values.count / rows
        guard shape.count <= 2, shape.count < 2 || shape[1] > 0 else {
            throw failure("has shape \(shape); labels must be N, N x 1 or N x K one-hot")
        }
        if width <= 1 || shape.count == 1 {
            return try values.enumerated().map { row, value in
                guard value >= 0, value == value.rounded(), value < Double(Int32.max) else {
                    throw failure("label \(value) at row \(row) is not a class index (a non-negative integer)")
                }
                return Int(value)
            }
        }
        return try (0..<rows).map { row in
            let cells = values[(row * width)..<((row + 1) * width)]
            guard cells.allSatisfy({ $0 == 0 || $0 == 1 }), cells.filter({ $0 == 1 }).count == 1 else {
                throw failure("row \(row) of the one-hot labels (\(cells.map { $0 })) does not hold exactly one 1")
            }
            return cells.firstIndex(of: 1)! - row * width
        }
    }

    public func info(at index: Int) -> SampleInfo {
        SampleInfo(id: String(index), label: labels?[index], group: groups?[index], path: file.path)
    }

    public func sample(at index: Int) throws -> Sample {
        let size = sampleShape.reduce(1, *)
        let image = ImageArray(shape: sampleShape, values: Array(images[(index * size)..<((index + 1) * size)]))
        var sample = Sample(image: image, label: labels?[index], info: info(at: index))
        if let masks {
            let voxels = size / sampleShape[sampleShape.count - 1]
            sample.mask = ImageArray(shape: Array(sampleShape.dropLast()) + [1], values: Array(masks[(index * voxels)..<((index + 1) * voxels)]))
        }
        return sample
    }
}
