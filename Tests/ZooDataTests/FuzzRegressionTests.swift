import Foundation
import XCTest
@testable import ZooData

/// Inputs the fuzz targets (Fuzz/, scripts/fuzz.sh) found, kept as tests once fixed.
final class FuzzRegressionTests: XCTestCase {
    /// fuzz-csv: a quoted field holding CRLF was written back unquoted ("\r\n" is a single
    /// Character, so a Character-wise search for "\n" missed it) and split into two rows; a
    /// quote carrying a combining mark was not doubled.
    func testCSVFieldWithCRLFSurvivesEscapeAndParse() {
        let parsed = CSV.parse("\"z\r\n\0\",y\n")
        XCTAssertEqual(parsed.first?.fields, ["z\r\n\0", "y"])
        // The second: a quote followed by a combining mark (U+064C) is one Character, which
        // a Character-wise replacement of quotes left single.
        for field in ["z\r\n\0", "a\r\nb", "\r\n", "x,\r\n\"q\"", "aes\"\u{064C}in\0im"] {
            let reparsed = CSV.parse(CSV.escape(field) + ",x")
            XCTAssertEqual(reparsed.count, 1, field.debugDescription)
            XCTAssertEqual(reparsed.first?.fields, [field, "x"], field.debugDescription)
        }
    }
}
