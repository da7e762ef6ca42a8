import Foundation

/// A report as blocks, written both as Markdown (for the terminal and the repository) and as
/// a self-contained HTML page (figures are linked SVG files beside it).
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

    public var html: String {
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
                body.append("<figure><img src=\"\(escape(file))\" alt=\"\(escape(caption))\"><figcaption>\(escape(caption))</figcaption></figure>")
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

    /// Writes `report.md` and `report.html` into `folder`.
    public func write(to folder: URL, name: String = "report") throws {
        try markdown.write(to: folder.appendingPathComponent("\(name).md"), atomically: true, encoding: .utf8)
        try html.write(to: folder.appendingPathComponent("\(name).html"), atomically: true, encoding: .utf8)
    }
}
