import Foundation
import ZooData

/// libFuzzer entry: decode the bytes as a PNG. Errors are expected; a crash, a trap or a
/// sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? PNG.decode(Data(bytes: data, count: size), source: "fuzz")
    return 0
}
