import Foundation
import ZooCore
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One LIDC-IDRI XML file (`LidcReadMessage`): the series it annotates and, per reader
/// (`readingSession`), the nodules of 3 mm or more (`unblindedReadNodule` with
/// `characteristics`): their malignancy rating (1-5) and one outline per slice (`roi`:
/// `imageSOP_UID`, `imageZposition`, `inclusion`, `edgeMap` points in pixel coordinates).
/// Nodules under 3 mm (a single point, no characteristics) and non-nodules are left out, as
/// pylidc leaves them out of its annotations.
public struct LIDCAnnotations: Sendable {
    public struct Outline: Sendable {
        public var sopInstanceUID: String
        public var z: Double?
        /// false: an exclusion (a hole inside the reader's outline on that slice).
        public var inclusion: Bool
        /// (row, column) = (yCoord, xCoord).
        public var points: [(row: Int, column: Int)]
    }

    public struct Nodule: Sendable {
        public var reader: Int
        public var id: String
        public var malignancy: Int
        public var outlines: [Outline]
    }

    public let file: String
    public let seriesUID: String
    public let nodules: [Nodule]

    public init(_ url: URL) throws {
        let parser = Parser()
        guard let xml = XMLParser(contentsOf: url) else { throw DataError(url.path, "cannot be opened as XML") }
        xml.delegate = parser
        guard xml.parse() else {
            throw DataError(url.path, "is not well-formed XML: \(xml.parserError.map { "\($0)" } ?? "parse failed") (line \(xml.lineNumber))")
        }
        if let problem = parser.problem { throw DataError(url.path, problem) }
        guard let series = parser.seriesUID, !series.isEmpty else {
            throw DataError(url.path, "no ResponseHeader/SeriesInstanceUid: not an LIDC read message")
        }
        file = url.path
        seriesUID = series
        nodules = parser.nodules
    }

    /// A SAX walk that keeps the path of open elements, so that coordinates count only inside
    /// a nodule's `roi/edgeMap` (a non-nodule's `locus` has them too).
    final class Parser: NSObject, XMLParserDelegate {
        var path: [String] = []
        var text = ""
        var seriesUID: String?
        var reader = -1
        var nodules: [Nodule] = []
        var nodule: Nodule?
        var malignancy: Int?
        var outline: Outline?
        var x: Int?, y: Int?
        var problem: String?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            let local = String(name.split(separator: ":").last ?? Substring(name))
            path.append(local)
            text = ""
            switch local {
            case "readingSession": reader += 1
            case "unblindedReadNodule":
                nodule = Nodule(reader: reader, id: "", malignancy: 0, outlines: [])
                malignancy = nil
            case "roi" where nodule != nil: outline = Outline(sopInstanceUID: "", z: nil, inclusion: true, points: [])
            case "edgeMap": x = nil; y = nil
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let local = String(name.split(separator: ":").last ?? Substring(name))
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let inNodule = path.contains("unblindedReadNodule")
            switch local {
            case "SeriesInstanceUid" where path.contains("ResponseHeader"): seriesUID = value
            case "noduleID" where inNodule: nodule?.id = value
            case "malignancy" where inNodule:
                guard let rating = Int(value), (1...5).contains(rating) else {
                    problem = problem ?? "malignancy '\(value)' of nodule \(nodule?.id ?? "?") (reader \(reader + 1)) is not 1-5"
                    break
                }
                malignancy = rating
            case "imageSOP_UID" where outline != nil: outline?.sopInstanceUID = value
            case "imageZposition" where outline != nil: outline?.z = Double(value)
            case "inclusion" where outline != nil: outline?.inclusion = value.uppercased() != "FALSE"
            case "xCoord" where outline != nil && path.contains("edgeMap"): x = Int(value)
            case "yCoord" where outline != nil && path.contains("edgeMap"): y = Int(value)
            case "edgeMap" where outline != nil:
                if let x, let y { outline?.points.append((y, x)) } else {
                    problem = problem ?? "an edgeMap of nodule \(nodule?.id ?? "?") (reader \(reader + 1)) lacks xCoord or yCoord"
                }
            case "roi" where nodule != nil:
                if let outline { nodule?.outlines.append(outline) }
                outline = nil
            case "unblindedReadNodule":
                // Nodules under 3 mm carry no characteristics: no rating, left out.
                if var finished = nodule, let malignancy {
                    finished.malignancy = malignancy
                    nodules.append(finished)
                }
                nodule = nil
            default: break
            }
            path.removeLast()
            text = ""
        }
    }
}
