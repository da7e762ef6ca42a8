import Foundation
import FuzzSupport
import ZooCore
import ZooHDF5
import ZooNN

/// A one-layer model to load into: the loader reads and checks every weight of the file
/// before it matches any, so the values of any file are read whatever the model.
let model = BuildContext.run(seed: 0) { Sequential(name: "fuzz", [Dense(units: 2, inputFeatures: 2, name: "dense")]) }

/// libFuzzer entry: the bytes as an HDF5 weight file, through `inspectWeightFile` (format
/// detection, every Keras layout's reader with shapes only, the generic listing) and the
/// weight loader (values read). HDF5 reads files by path, so the input goes through a
/// temporary file. Errors are expected; a crash, a trap or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TemporaryFile.with(UnsafeRawBufferPointer(start: data, count: size), suffix: "h5") { url in
        _ = try? inspectWeightFile(url)
        _ = try? KerasWeights.load(into: model, from: url, options: WeightLoadOptions(strict: false))
    }
    return 0
}
