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
        guard code == 0 else {
            var message = String(cString: error)
            if let syntax = DICOMHeader.declaredTransferSyntax(path) {
                message += "; its file meta information declares the transfer syntax \(DICOMHeader.describe(syntax)), which GDCM \(DICOMHeader.gdcmVersion) cannot read"
            }
            throw DataError(path, message)
        }
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

    /// The GDCM release Zoo was built against (Debian's libgdcm-dev).
    static let gdcmVersion = "3.0"

    /// The transfer syntax UID a Part 10 file's meta information declares, found by its
    /// element (0002,0010) UI among the first bytes; only for naming it when GDCM refuses the
    /// file.
    static func declaredTransferSyntax(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 4096) else { return nil }
        try? handle.close()
        let bytes = [UInt8](head), tag: [UInt8] = [0x02, 0x00, 0x10, 0x00, 0x55, 0x49]
        guard bytes.count > 8 else { return nil }
        for start in 0..<(bytes.count - 8) where Array(bytes[start..<start + 6]) == tag {
            let length = Int(bytes[start + 6]) | Int(bytes[start + 7]) << 8
            guard start + 8 + length <= bytes.count else { return nil }
            let text = String(decoding: bytes[(start + 8)..<(start + 8 + length)], as: UTF8.self)
            return text.trimmingCharacters(in: CharacterSet(charactersIn: "\0 ").union(.controlCharacters))
        }
        return nil
    }

    /// A transfer syntax UID with its name (PS3.6 Table A-1), "name (uid)"; the UID alone when
    /// the syntax is none Zoo knows by name.
    static func describe(_ uid: String) -> String {
        transferSyntaxNames[uid].map { "\($0) (\(uid))" } ?? uid
    }

    static let transferSyntaxNames = [
        "1.2.840.10008.1.2": "Implicit VR Little Endian", "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian", "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
        "1.2.840.10008.1.2.4.50": "JPEG Baseline", "1.2.840.10008.1.2.4.51": "JPEG Extended",
        "1.2.840.10008.1.2.4.57": "JPEG Lossless", "1.2.840.10008.1.2.4.70": "JPEG Lossless SV1",
        "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless", "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless", "1.2.840.10008.1.2.4.91": "JPEG 2000",
        "1.2.840.10008.1.2.5": "RLE Lossless",
        "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 Lossless", "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 RPCL Lossless",
        "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000", "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile",
        "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264", "1.2.840.10008.1.2.4.107": "HEVC/H.265", "1.2.840.10008.1.2.4.110": "JPEG XL Lossless",
    ]

    /// Whether `path` starts like a DICOM Part 10 file ("DICM" after the 128-byte preamble).
    public static func isDICOM(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 132), head.count == 132 else { return false }
        return Array(head.suffix(4)) == Array("DICM".utf8)
    }
}
