import CGDCM
import Foundation
import ZooCore

/// The DICOM attributes Zoo reads, by tag ((group << 16) | element) and keyword.
public enum DICOMTag: UInt32, CaseIterable, Sendable {
    case transferSyntaxUID = 0x0002_0010
    case sopInstanceUID = 0x0008_0018
    case modality = 0x0008_0060
    case patientID = 0x0010_0020
    case sliceThickness = 0x0018_0050
    case studyInstanceUID = 0x0020_000D
    case seriesInstanceUID = 0x0020_000E
    case instanceNumber = 0x0020_0013
    case imagePositionPatient = 0x0020_0032
    case imageOrientationPatient = 0x0020_0037
    case photometricInterpretation = 0x0028_0004
    case numberOfFrames = 0x0028_0008
    case rows = 0x0028_0010
    case columns = 0x0028_0011
    case pixelSpacing = 0x0028_0030
    case rescaleIntercept = 0x0028_1052
    case rescaleSlope = 0x0028_1053

    /// "ImagePositionPatient (0020,0032)": how errors name a tag.
    public var name: String {
        let keyword = String(describing: self)
        let hex = String(format: "%04X,%04X", rawValue >> 16, rawValue & 0xffff)
        return "\(keyword.prefix(1).uppercased() + keyword.dropFirst()) (\(hex))"
    }
}

/// One file's attributes, read by GDCM up to the pixel data (cheap: series are grouped and
/// sorted from headers alone).
public struct DICOMHeader: Sendable {
    public let path: String
    let values: [DICOMTag: String]

    /// Reads `path`'s header; a file GDCM cannot parse is a `DataError` naming it.
    public init(_ path: String) throws {
        let tags = DICOMTag.allCases
        let raw = tags.map(\.rawValue)
        var out = [CChar](repeating: 0, count: 1 << 16)
        var error = [CChar](repeating: 0, count: 512)
        let code = zoo_dicom_read_header(path, raw, Int32(raw.count), &out, out.count, &error, error.count)
        guard code == 0 else { throw DataError(path, String(cString: error)) }
        let records = String(cString: out).split(separator: "\u{1e}", omittingEmptySubsequences: false)
        var values: [DICOMTag: String] = [:]
        for (tag, record) in zip(tags, records) where !record.isEmpty {
            values[tag] = record.trimmingCharacters(in: .whitespaces)
        }
        self.path = path
        self.values = values
    }

    /// The attribute's text, nil when absent or empty.
    public func text(_ tag: DICOMTag) -> String? { values[tag] }

    /// The attribute's numbers (DICOM separates values with backslashes); nil when absent,
    /// an error naming the file and the tag when present but not numeric or of another count.
    public func numbers(_ tag: DICOMTag, count: Int? = nil) throws -> [Double]? {
        guard let text = values[tag] else { return nil }
        let parts = text.split(separator: "\\", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == parts.count, numbers.allSatisfy(\.isFinite) else {
            throw DataError(path, "\(tag.name) is '\(text)', not numbers")
        }
        if let count, numbers.count != count {
            throw DataError(path, "\(tag.name) holds \(numbers.count) values ('\(text)'), expected \(count)")
        }
        return numbers
    }

    /// The attribute's numbers, or an error naming the file and the missing tag.
    public func required(_ tag: DICOMTag, count: Int, for purpose: String) throws -> [Double] {
        guard let numbers = try numbers(tag, count: count) else {
            throw DataError(path, "no \(tag.name), needed \(purpose)")
        }
        return numbers
    }

    /// Whether `path` starts like a DICOM Part 10 file ("DICM" after the 128-byte preamble).
    public static func isDICOM(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 132), head.count == 132 else { return false }
        return Array(head.suffix(4)) == Array("DICM".utf8)
    }
}
