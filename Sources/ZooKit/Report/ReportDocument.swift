import Foundation

/// A report as blocks, written both as Markdown (for the terminal and the repository, figures
/// linked beside it) and as a self-contained HTML page (figures embedded: SVG inline, PNG as
/// data URIs), so that the one file can be mailed.
public struct ReportDocument {
    public enum Block {
        case heading(String, level: Int)
        case paragraph(String)
        /// Columns after the first are right-aligned (numbers).
        case table(header: [String], rows: [[String]])
        case figure(file: String, caption: String)
    }

    public var blocks: [Block] = []

    public init(title: String) { blocks = [.heading(title, level: 1)] }

    public mutating func add(_ block: Block) { blocks.append(block) }

    public var markdown: String {
        var lines = [String]()
        for block in blocks {
            switch block {
            case .heading(let text, let level): lines += [String(repeating: "#", count: level) + " " + text, ""]
            case .paragraph(let text): lines += [text, ""]
            case .table(let header, let rows):
                lines.append("| " + header.joined(separator: " | ") + " |")
                lines.append("|---|" + String(repeating: "---:|", count: max(header.count - 1, 0)))
                for row in rows { lines.append("| " + row.joined(separator: " | ") + " |") }
                lines.append("")
            case .figure(let file, let caption): lines += ["![\(caption)](\(file))", ""]
            }
        }
        return lines.joined(separator: "\n")
    }

    public var html: String { html(embeddingFrom: nil) }

    /// The page, with the figures found in `folder` embedded (linked when not found there).
    public func html(embeddingFrom folder: URL?) -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        var title = "Zoo report"
        var body = [String]()
        for block in blocks {
            switch block {
            case .heading(let text, let level):
                if level == 1 { title = text }
                body.append("<h\(level)>\(escape(text))</h\(level)>")
            case .paragraph(let text): body.append("<p>\(escape(text))</p>")
            case .table(let header, let rows):
                body.append("<table>")
                body.append("<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>")
                for row in rows {
                    body.append("<tr>" + row.enumerated().map { $0 == 0 ? "<td>\(escape($1))</td>" : "<td class=\"n\">\(escape($1))</td>" }.joined() + "</tr>")
                }
                body.append("</table>")
            case .figure(let file, let caption):
                let image = folder.flatMap { ReportDocument.embedded(file, in: $0, alt: escape(caption)) }
                    ?? "<img src=\"\(escape(file))\" alt=\"\(escape(caption))\">"
                body.append("<figure>\(image)<figcaption>\(escape(caption))</figcaption></figure>")
            }
        }
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body { font-family: sans-serif; max-width: 70em; margin: 2em auto; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            figure { display: inline-block; margin: 1em; }
            </style></head><body>
            \(body.joined(separator: "\n"))
            </body></html>

            """
    }

    /// Writes `report.md` and `report.html` (its figures embedded) into `folder`.
    public func write(to folder: URL, name: String = "report") throws {
        try markdown.write(to: folder.appendingPathComponent("\(name).md"), atomically: true, encoding: .utf8)
        try html(embeddingFrom: folder).write(to: folder.appendingPathComponent("\(name).html"), atomically: true, encoding: .utf8)
    }

    /// The figure `file` of `folder` as inline markup: an SVG's own element, a PNG as a data
    /// URI; nil when the file is missing or of another kind (then it stays a link).
    static func embedded(_ file: String, in folder: URL, alt: String) -> String? {
        let url = folder.appendingPathComponent(file)
        // A figure that could not be drawn was not written: the page links its name instead.
        guard let data = try? Data(contentsOf: url) else { return nil }
        switch url.pathExtension.lowercased() {
        case "svg":
            guard let text = String(data: data, encoding: .utf8), let start = text.range(of: "<svg") else { return nil }
            return String(text[start.lowerBound...])
        case "png":
            return "<img src=\"data:image/png;base64,\(data.base64EncodedString())\" alt=\"\(alt)\">"
        default:
            return nil
        }
    }
}
