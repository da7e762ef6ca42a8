import Foundation
import ZooData

/// libFuzzer entry: parse the bytes (as UTF-8, invalid sequences repaired, as a manifest
/// would be after decoding) as CSV, and check that escaping a parsed field and parsing it
/// again gives the field back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for row in CSV.parse(text) {
        for field in row.fields {
            let reparsed = CSV.parse(CSV.escape(field) + ",x")
            if reparsed.first?.fields.first != field {
                fatalError("CSV field \(field.debugDescription) does not survive escape and parse: \(reparsed)")
            }
        }
    }
    return 0
}
