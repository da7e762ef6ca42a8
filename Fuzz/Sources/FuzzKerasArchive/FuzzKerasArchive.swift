import Foundation
import FuzzSupport
import ZooHDF5
import ZooKeras

/// libFuzzer entry: the bytes as a `.keras` archive (zip), through `inspectWeightFile` and
/// `KerasModelImport.load` (entry checks, extraction, config.json, the model rebuild and the
/// weights). Errors are expected; a crash, a trap or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKerasArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TemporaryFile.with(UnsafeRawBufferPointer(start: data, count: size), suffix: "keras") { url in
        _ = try? inspectWeightFile(url)
        _ = try? KerasModelImport.load(url)
    }
    return 0
}
