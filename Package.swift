// swift-tools-version: 6.1
// Zoo: a model zoo for medical imaging on the CPU. docs/ARCHITECTURE.md explains the layout.
import PackageDescription

// No unsafeFlags: SwiftPM refuses them in a package used as a versioned dependency. Hot loops
// run on raw pointers, which carry no bounds checks; what -Ounchecked saved is measured in
// docs/PERFORMANCE.md.
let package = Package(
    name: "Zoo",
    products: [
        .library(name: "ZooTensor", targets: ["ZooTensor"]),
        .library(name: "ZooCore", targets: ["ZooCore"]),
        .library(name: "ZooNN", targets: ["ZooNN"]),
        .library(name: "ZooSmallCNN", targets: ["ZooSmallCNN"]),
        .executable(name: "zoo-kernel-bench", targets: ["ZooKernelBench"]),
        .executable(name: "engine-demo", targets: ["EngineDemo"]),
        .executable(name: "sweep-from-swift", targets: ["SweepFromSwift"]),
        .executable(name: "zoo-model-bench", targets: ["ZooModelBench"]),
        .executable(name: "zoo", targets: ["ZooCLI"]),
        .library(name: "ModelZoo", targets: ["ModelZoo"]),
        .library(name: "ZooHDF5", targets: ["ZooHDF5"]),
        .library(name: "ZooKeras", targets: ["ZooKeras"]),
        .library(name: "ZooData", targets: ["ZooData"]),
        .library(name: "ZooMetrics", targets: ["ZooMetrics"]),
        .library(name: "ZooExplain", targets: ["ZooExplain"]),
        .library(name: "ZooPlots", targets: ["ZooPlots"]),
        .library(name: "ZooKit", targets: ["ZooKit"]),
        .plugin(name: "CatalogGenerator", targets: ["CatalogGenerator"]),
    ],
    // MPI stays optional: `swift build --traits MPI` (Debian: libopenmpi-dev) links Open MPI for
    // the processes mpirun starts; the default build needs no MPI at all.
    traits: [
        .trait(name: "MPI", description: "Collectives between the processes mpirun or srun starts (Open MPI)"),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `swift package generate-documentation --target ZooKit` (scripts/docs-check.sh).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian/Ubuntu: libopenblas-dev, libhdf5-dev, libpng-dev,
        // libjpeg62-turbo-dev). OpenBLAS is declared only: ZooTensor opens it at run time.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]),

        // oneDNN (Debian/Ubuntu: libdnnl-dev), the convolution library of PyTorch and TensorFlow
        // on the CPU: ZooTensor times its kernels against its own per shape. Built against its
        // headers, opened at run time (CDNNL says why); without it Zoo runs its own kernels.
        .target(name: "CDNNL"),
        // Zoo's own hot loops in C, compiled for each instruction set and chosen at run time
        // (Swift's code targets the x86-64 baseline): ZooTensor's VectorKernels.
        .target(name: "CVectorKernels", exclude: ["winograd_tiles_body.h"]),
        .target(name: "ZooTensor", dependencies: ["CBLAS", "CDNNL", "CVectorKernels"]),
        .target(name: "ZooCore", dependencies: ["ZooTensor"]),
        .target(name: "ZooNN", dependencies: ["ZooCore", "ZooTensor"]),

        // Architectures: one target per family, each depending on ZooNN (DeepLab also on ZooResNet).
        .target(name: "ZooSmallCNN", dependencies: ["ZooNN"], exclude: ["Architectures.json"]),
        .target(name: "ZooResNet", dependencies: ["ZooNN"], exclude: ["Architectures.json"]),
        .target(name: "ZooVGG", dependencies: ["ZooNN"], exclude: ["Architectures.json"]),
        .target(name: "ZooDenseNet", dependencies: ["ZooNN"], exclude: ["Architectures.json"]),
        .target(name: "ZooMobileNet", dependencies: ["ZooNN"], exclude: ["Architectures.json"]),
        .target(name: "ZooInception", dependencies: ["ZooNN"], exclude: ["Architectures.json"]),
        .target(name: "ZooXception", dependencies: ["ZooNN"], exclude: ["Architectures.json"]),
        .target(name: "ZooUNet", dependencies: ["ZooNN"], exclude: ["Architectures.json"]),
        // DeepLabv3's backbone is ResNet-50 with atrous stages: ZooResNet's blocks, not a copy.
        .target(name: "ZooDeepLab", dependencies: ["ZooNN", "ZooResNet"], exclude: ["Architectures.json"]),
        // new-architecture: family targets above this line.

        // The catalog: generated from the manifests of the families it depends on. Adding a
        // family is a new target, its Architectures.json and one line here.
        .target(
            name: "ModelZoo",
            dependencies: [
                "ZooNN", "ZooSmallCNN", "ZooResNet", "ZooVGG", "ZooDenseNet", "ZooMobileNet", "ZooInception", "ZooXception", "ZooUNet", "ZooDeepLab",
                // new-architecture: families above this line.
            ],
            plugins: ["CatalogGenerator"]),
        .executableTarget(name: "ZooCatalogGenerator", path: "Sources/ZooCatalogGenerator"),
        .plugin(name: "CatalogGenerator", capability: .buildTool(), dependencies: ["ZooCatalogGenerator"]),
        .plugin(
            name: "NewArchitecture",
            capability: .command(
                intent: .custom(verb: "new-architecture", description: "Scaffold an architecture family target, its test and config"),
                permissions: [.writeToPackageDirectory(reason: "creates the new target, its test and its config")])),

        // HDF5: the C library's Swift layer, checkpoints, Keras weight and model files in and
        // out, on ZooCore alone.
        .target(
            name: "ZooHDF5",
            dependencies: ["CHDF5", "ZooCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // Keras models as functional graphs: import and export through one table of layers.
        .target(name: "ZooKeras", dependencies: ["ZooHDF5", "ZooNN", "ZooCore", "ZooTensor"]),

        // Data: datasets, decoders (libpng/libjpeg through a C shim that turns their longjmp
        // errors into return codes), NIfTI through zlib, transforms, splits, loaders, phantoms.
        .systemLibrary(name: "CInflate", path: "Sources/CInflate", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"],
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),
        // DICOM through GDCM (Debian/Ubuntu: libgdcm-dev), the library that decodes every
        // compressed transfer syntax of clinical archives (JPEG, JPEG-LS, JPEG 2000, RLE);
        // docs/DATA.md says why GDCM and not DCMTK. NIfTI geometry through nifti_clib
        // (libnifti2-dev). Both behind C shims: GDCM is C++, and nifti_clib's header needs
        // its own folder on the include path (CNIfTI/forward).
        .target(
            name: "CGDCM",
            linkerSettings: [.linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmCommon")]),
        .target(
            name: "CNIfTI", exclude: ["forward"], cSettings: [.headerSearchPath("forward")],
            linkerSettings: [.linkedLibrary("niftiio"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m")]),
        .target(
            name: "ZooData", dependencies: ["ZooCore", "ZooTensor", "CImageCodecs", "CInflate", "ZooHDF5", "CGDCM", "CNIfTI"]),

        // Evaluation: clinical metrics and statistics (no model dependency).
        .target(name: "ZooMetrics"),
        // Figures (SVG and PNG): ROC, decision curves, training curves, confusion matrices; the
        // reports and Grad-CAM's figures draw with them.
        .target(name: "ZooPlots", dependencies: ["ZooCore", "ZooData", "ZooMetrics"]),
        // Explanations: Grad-CAM and overlays.
        .target(name: "ZooExplain", dependencies: ["ZooCore", "ZooNN", "ZooTensor", "ZooData", "ZooMetrics", "ZooPlots"]),

        // Experiments: configs, trainer, evaluator, sweeps, reports; MPI's collectives with the
        // MPI trait.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(
            name: "ZooKit",
            dependencies: [
                "ModelZoo", "ZooNN", "ZooCore", "ZooTensor", "ZooData", "ZooHDF5", "ZooKeras", "ZooMetrics", "ZooExplain", "ZooPlots",
                .product(name: "Yams", package: "Yams"),
                .target(name: "CMPI", condition: .when(traits: ["MPI"])),
            ]),

        .executableTarget(
            name: "ZooCLI",
            dependencies: [
                "ZooKit", "ModelZoo", "ZooHDF5", "ZooKeras", "ZooExplain", "ZooPlots", "ZooData", "ZooNN", "ZooCore", "ZooTensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Test support: reference fixtures of Keras and PyTorch, shared by the test targets.
        .target(name: "ZooTestSupport", dependencies: ["ZooNN"]),
        .executableTarget(
            name: "ZooKernelBench", dependencies: ["ZooTensor"]),
        .executableTarget(name: "ZooModelBench", dependencies: ["ModelZoo"]),
        .executableTarget(name: "EngineDemo", dependencies: ["ZooTensor"], path: "examples/EngineDemo"),
        // A study from Swift without YAML (ZooKit's API); a test runs it.
        .executableTarget(name: "SweepFromSwift", dependencies: ["ZooKit"], path: "examples/SweepFromSwift"),

        .testTarget(name: "ZooTensorTests", dependencies: ["ZooTensor"]),
        .testTarget(name: "ZooNNTests", dependencies: ["ZooNN"]),
        .testTarget(name: "ZooSmallCNNTests", dependencies: ["ZooSmallCNN"]),
        .testTarget(name: "ModelZooTests", dependencies: ["ModelZoo", "ZooTestSupport"]),
        .testTarget(name: "ZooDataTests", dependencies: ["ZooData", "ZooTestSupport"]),
        .testTarget(name: "ZooMetricsTests", dependencies: ["ZooMetrics", "ZooTestSupport"]),
        .testTarget(name: "ZooKitTests", dependencies: ["ZooKit"]),
        .testTarget(name: "ZooKerasTests", dependencies: ["ZooKeras", "ModelZoo", "ZooUNet", "ZooTestSupport"]),
        .testTarget(name: "ZooHDF5Tests", dependencies: ["ZooHDF5", "ZooKeras", "ZooSmallCNN", "ModelZoo", "ZooTestSupport"]),
        .testTarget(name: "ZooResNetTests", dependencies: ["ZooResNet", "ZooTestSupport"]),
        .testTarget(name: "ZooVGGTests", dependencies: ["ZooVGG", "ZooTestSupport"]),
        .testTarget(name: "ZooDenseNetTests", dependencies: ["ZooDenseNet", "ZooTestSupport"]),
        .testTarget(name: "ZooMobileNetTests", dependencies: ["ZooMobileNet", "ZooTestSupport"]),
        .testTarget(name: "ZooInceptionTests", dependencies: ["ZooInception", "ZooTestSupport"]),
        .testTarget(name: "ZooXceptionTests", dependencies: ["ZooXception", "ZooTestSupport"]),
        .testTarget(name: "ZooUNetTests", dependencies: ["ZooUNet", "ZooTestSupport"]),
        .testTarget(name: "ZooDeepLabTests", dependencies: ["ZooDeepLab", "ZooTestSupport"]),
        // new-architecture: family test targets above this line.
        .testTarget(name: "ZooExplainTests", dependencies: ["ZooExplain", "ZooPlots", "ModelZoo", "ZooHDF5", "ZooTestSupport"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CHDF5", "CPNG", "CJPEG"]),
    ],
    swiftLanguageModes: [.v5]
)
