import Foundation
import ZooCore

/// A region of interest in fractions of the image's extent (0...1 along each spatial axis),
/// so a box found on a resized image cuts the original.
public struct RegionBox: Equatable, Sendable {
    /// Start and end fractions per spatial axis ([y, x] or [z, y, x]); end > start.
    public var lower: [Double]
    public var upper: [Double]

    public static func whole(rank: Int) -> RegionBox { RegionBox(lower: Array(repeating: 0, count: rank), upper: Array(repeating: 1, count: rank)) }

    public init(lower: [Double], upper: [Double]) {
        self.lower = lower
        self.upper = upper
    }

    /// The bounding box of the non-zero labels of `labels` (shape `shape`), grown by `margin`
    /// times its extent on each side and clipped to the image; nil when no label is set.
    public init?(labels: [Int], shape: [Int], margin: Double) {
        var low = shape.map { $0 }
        var high = shape.map { _ in -1 }
        var coordinate = [Int](repeating: 0, count: shape.count)
        for label in labels {
            if label != 0 {
                for axis in shape.indices {
                    low[axis] = Swift.min(low[axis], coordinate[axis])
                    high[axis] = Swift.max(high[axis], coordinate[axis])
                }
            }
            var axis = shape.count - 1
            while axis >= 0 {
                coordinate[axis] += 1
                if coordinate[axis] < shape[axis] { break }
                coordinate[axis] = 0
                axis -= 1
            }
        }
        guard high.allSatisfy({ $0 >= 0 }) else { return nil }
        lower = shape.indices.map { axis in
            let extent = Double(high[axis] - low[axis] + 1)
            return Swift.max(0, (Double(low[axis]) - margin * extent) / Double(shape[axis]))
        }
        upper = shape.indices.map { axis in
            let extent = Double(high[axis] - low[axis] + 1)
            return Swift.min(1, (Double(high[axis] + 1) + margin * extent) / Double(shape[axis]))
        }
    }

    /// The pixel window of this box in an image of spatial `shape` (at least one pixel).
    func window(in shape: [Int]) -> (origin: [Int], size: [Int]) {
        let origin = shape.indices.map { Swift.min(shape[$0] - 1, Int((lower[$0] * Double(shape[$0])).rounded(.down))) }
        let end = shape.indices.map { Swift.max(origin[$0] + 1, Int((upper[$0] * Double(shape[$0])).rounded(.up))) }
        return (origin, shape.indices.map { Swift.min(end[$0], shape[$0]) - origin[$0] })
    }
}

/// Another dataset's samples cut to a region of interest per sample (the second stage of a
/// segment-then-classify study: the classifier sees the region a segmentation model found).
/// Samples without a box are passed whole.
public struct RegionCropDataset: Dataset {
    public let base: Dataset
    /// Boxes by sample id.
    public let boxes: [String: RegionBox]

    public init(_ base: Dataset, boxes: [String: RegionBox]) {
        self.base = base
        self.boxes = boxes
    }

    public var count: Int { base.count }
    public var classNames: [String] { base.classNames }
    public func info(at index: Int) -> SampleInfo { base.info(at: index) }

    public func sample(at index: Int) throws -> Sample {
        var sample = try base.sample(at: index)
        guard let box = boxes[sample.id] else { return sample }
        let spatial = sample.image.spatialShape
        guard box.lower.count == spatial.count else {
            throw DataError(sample.id, "region box of rank \(box.lower.count) does not fit an image of spatial shape \(spatial)")
        }
        let (origin, size) = box.window(in: spatial)
        sample.image = Grid.window(sample.image, origin: origin, size: size, fill: 0)
        sample.mask = sample.mask.map { Grid.window($0, origin: origin, size: size, fill: 0) }
        return sample
    }

    /// The boxes as CSV (`id,lower...,upper...`), kept with a run so it can be evaluated again.
    public static func csv(_ boxes: [String: RegionBox]) -> String {
        var lines = ["id,lower,upper"]
        for id in boxes.keys.sorted() {
            let box = boxes[id]!
            lines.append("\(CSV.escape(id)),\(box.lower.map { String(format: "%.6f", $0) }.joined(separator: " ")),\(box.upper.map { String(format: "%.6f", $0) }.joined(separator: " "))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Boxes read back from `csv(_:)`'s format; errors name the file and line.
    public static func readBoxes(from url: URL) throws -> [String: RegionBox] {
        guard let text = String(data: try FileAccess.read(url), encoding: .utf8) else {
            throw DataError(url.path, "is not UTF-8 text")
        }
        var boxes = [String: RegionBox]()
        for (number, cells) in CSV.parse(text).dropFirst() {
            let lower = cells.count == 3 ? cells[1].split(separator: " ").compactMap { Double($0) } : []
            let upper = cells.count == 3 ? cells[2].split(separator: " ").compactMap { Double($0) } : []
            guard !lower.isEmpty, lower.count == upper.count, zip(lower, upper).allSatisfy({ 0 <= $0 && $0 < $1 && $1 <= 1 }) else {
                throw DataError(url.path, line: number, "not id,lower,upper with fractions in 0...1")
            }
            boxes[cells[0]] = RegionBox(lower: lower, upper: upper)
        }
        return boxes
    }
}
