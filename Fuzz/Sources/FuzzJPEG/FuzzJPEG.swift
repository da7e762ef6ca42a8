import Foundation
import ZooData

/// libFuzzer entry: decode the bytes as a JPEG. Errors are expected; a crash, a trap or a
/// sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? JPEG.decode(Data(bytes: data, count: size), source: "fuzz")
    return 0
}
