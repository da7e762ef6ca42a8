import Foundation
import ZooCore
import ZooKitConfig

/// libFuzzer entry: the bytes as an experiment config (YAML), parsed and read as an
/// `ExperimentConfig`. Errors are expected; a crash, a trap or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let document = try? ConfigValue.parse(yaml: text, source: "fuzz.yaml") {
        _ = try? ExperimentConfig(document, source: "fuzz.yaml")
    }
    return 0
}
