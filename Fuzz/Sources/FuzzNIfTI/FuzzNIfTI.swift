import Foundation
import ZooData

/// libFuzzer entry: decode the bytes as a NIfTI-1 volume (gzip detected from the content).
/// Errors are expected; a crash, a trap or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNIfTI(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? NIfTI.decode(Data(bytes: data, count: size), source: "fuzz")
    return 0
}
