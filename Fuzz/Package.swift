// swift-tools-version: 5.4
// Zoo's fuzz targets: libFuzzer executables, one per file reader. A package of their own, so the
// main package's build and tests are unchanged; scripts/fuzz.sh builds and runs them
// (docs/RELIABILITY.md).
//
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's entry point to
// `<module>_main` (so tests can link it) and points `main` at it, but a libFuzzer target has
// no entry point of its own; libFuzzer's runtime provides `main`.
import PackageDescription

/// libFuzzer supplies `main`; each target exports `LLVMFuzzerTestOneInput` instead.
let harness: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "ZooFuzz",
    dependencies: [
        .package(name: "Zoo", path: ".."),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
        // The config reader is ZooCore's; ExperimentConfig, which reads the sections into
        // typed values, is part of ZooKit. Depending on ZooKit would build the catalog's
        // build-tool plugin with the fuzzer flags (and no entry point), so ExperimentConfig and
        // the files its sections use are compiled here from links.
        .target(
            name: "ZooKitConfig",
            dependencies: [
                .product(name: "Yams", package: "Yams"), .product(name: "ZooCore", package: "Zoo"), .product(name: "ZooData", package: "Zoo"),
                .product(name: "ZooNN", package: "Zoo"), .product(name: "ZooMetrics", package: "Zoo"), .product(name: "ZooHDF5", package: "Zoo"),
                .product(name: "ZooExplain", package: "Zoo"),
            ],
            path: "Sources/ZooKitConfig"),
        .executableTarget(name: "fuzz-png", dependencies: [.product(name: "ZooData", package: "Zoo")], path: "Sources/FuzzPNG", swiftSettings: harness),
        .executableTarget(name: "fuzz-jpeg", dependencies: [.product(name: "ZooData", package: "Zoo")], path: "Sources/FuzzJPEG", swiftSettings: harness),
        .executableTarget(name: "fuzz-nifti", dependencies: [.product(name: "ZooData", package: "Zoo")], path: "Sources/FuzzNIfTI", swiftSettings: harness),
        .executableTarget(name: "fuzz-csv", dependencies: [.product(name: "ZooData", package: "Zoo")], path: "Sources/FuzzCSV", swiftSettings: harness),
        .executableTarget(
            name: "fuzz-hdf5",
            dependencies: [
                "FuzzSupport", .product(name: "ZooHDF5", package: "Zoo"), .product(name: "ZooNN", package: "Zoo"),
                .product(name: "ZooCore", package: "Zoo"),
            ],
            path: "Sources/FuzzHDF5", swiftSettings: harness),
        .executableTarget(
            name: "fuzz-keras-archive",
            dependencies: ["FuzzSupport", .product(name: "ZooHDF5", package: "Zoo"), .product(name: "ZooKeras", package: "Zoo")],
            path: "Sources/FuzzKerasArchive", swiftSettings: harness),
        .executableTarget(
            name: "fuzz-config", dependencies: ["ZooKitConfig", .product(name: "ZooCore", package: "Zoo")], path: "Sources/FuzzConfig",
            swiftSettings: harness),
    ],
    swiftLanguageVersions: [.v5]
)
