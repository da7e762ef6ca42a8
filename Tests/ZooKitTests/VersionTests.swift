import XCTest
import ZooTensor

@testable import ZooKit

/// `zoo --version` names Zoo's version and the numeric setup a result depends on (#22).
final class VersionTests: XCTestCase {
    func testTheVersionNamesTheBLASKernelAndTheThreads() {
        let text = ZooVersion.description
        XCTAssertTrue(text.hasPrefix("zoo \(ZooVersion.number)\n"), text)
        XCTAssertTrue(text.contains("kernel \(BLAS.coreName) (\(BLAS.kernelSelection))"), text)
        XCTAssertTrue(text.contains("\(Parallel.threadCount) threads (libgomp's, shared with oneDNN)"), text)
        XCTAssertTrue(
            text.contains("Convolutions: \(ConvolutionAlgorithm.setting); oneDNN \(ConvolutionAlgorithm.onednnVersion) (\(ConvolutionAlgorithm.onednnISA))"),
            text)
        XCTAssertTrue(text.contains("Convolution plans: \(ConvolutionPlanFile.summary)"), text)
        XCTAssertTrue(ConvolutionAlgorithm.onednnVersion.hasPrefix("2."), ConvolutionAlgorithm.onednnVersion)
        XCTAssertFalse(BLAS.coreName.isEmpty)
    }

    /// `ZOO_POOL=dispatch` runs Zoo's loops on libdispatch's threads, and the version says so.
    func testThePoolTheEnvironmentAsksForIsNamed() throws {
        let text = try versionText(["ZOO_POOL": "dispatch"])
        XCTAssertTrue(text.contains("threads (libdispatch's, ZOO_POOL=dispatch)"), text)
    }

    /// Idle OpenMP threads keep libgomp's own spin, since Zoo's loops run on them: a short spin
    /// cost DenseNet121 and MobileNetV2 inference 10-20% (docs/PERFORMANCE.md). Only beside
    /// libdispatch's pool is it cut, and the environment's own setting always wins.
    func testOpenMPThreadsKeepTheirSpinUnlessAnotherPoolNeedsTheCores() throws {
        func spinLine(_ environment: [String: String]) throws -> String {
            // Whatever this process's own environment says of the spin and the pool is left out.
            var settings: [String: String?] = ["OMP_WAIT_POLICY": nil, "GOMP_SPINCOUNT": nil, "ZOO_POOL": nil]
            for (name, value) in environment { settings[name] = value }
            let text = try versionText(settings)
            return try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("Idle OpenMP threads spin: ") }.map(String.init), text)
        }
        XCTAssertEqual(try spinLine([:]), "Idle OpenMP threads spin: libgomp's default")
        XCTAssertEqual(
            try spinLine(["ZOO_POOL": "dispatch"]), "Idle OpenMP threads spin: GOMP_SPINCOUNT=2000 (set by Zoo for ZOO_POOL=dispatch)")
        XCTAssertEqual(
            try spinLine(["ZOO_POOL": "dispatch", "GOMP_SPINCOUNT": "77"]),
            "Idle OpenMP threads spin: GOMP_SPINCOUNT=77 (from the environment)")
        XCTAssertEqual(try spinLine(["OMP_WAIT_POLICY": "active"]), "Idle OpenMP threads spin: OMP_WAIT_POLICY=active (from the environment)")
    }

    /// The plan file keeps each shape's choice per machine key. A process whose kernels are
    /// capped by the environment (as when the AVX2 path is measured on an AVX-512 machine) made
    /// its choices for other kernels: before the key named the kernels, an uncapped process
    /// then took the capped one's choices (measured: 21 of DenseNet121's shapes on Zoo's im2col
    /// instead of oneDNN's AVX-512 kernels).
    func testCappedKernelsKeepTheirChoicesUnderAKeyOfTheirOwn() throws {
        func planLine(_ environment: [String: String]) throws -> String {
            let text = try versionText(environment)
            return try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("Convolution plans: ") }.map(String.init), text)
        }
        let plain = try planLine([:])
        let capped = try planLine(["ONEDNN_MAX_CPU_ISA": "SSE41", "DNNL_MAX_CPU_ISA": "SSE41", "OPENBLAS_CORETYPE": "Nehalem"])
        XCTAssertNotEqual(plain, capped)
        XCTAssertTrue(capped.contains("OpenBLAS Nehalem; oneDNN \(ConvolutionAlgorithm.onednnVersion) sse41;"), capped)
        XCTAssertFalse(plain.contains("sse41"), plain)
    }

    /// Zoo's C kernels run on the CPU's widest instruction set; `ZOO_VECTOR_ISA` caps it, the
    /// version says so, and the plan file keeps the capped process's choices apart (its
    /// Winograd is slower, so it may choose otherwise).
    func testTheVectorKernelsSetIsNamedAndCappedByTheEnvironment() throws {
        let plain = try versionText([:])
        XCTAssertTrue(plain.contains("Zoo's vector kernels: \(VectorKernels.supported.summary) (the CPU's widest: \(VectorKernels.supported.summary))"), plain)
        let capped = try versionText(["ZOO_VECTOR_ISA": "baseline"])
        XCTAssertTrue(capped.contains("Zoo's vector kernels: \(VectorKernels.InstructionSet.baseline.summary) (the CPU's widest: \(VectorKernels.supported.summary)"), capped)
        XCTAssertTrue(capped.contains("Zoo's vectors baseline;"), capped)
        if VectorKernels.supported > .baseline {
            XCTAssertTrue(capped.contains("capped by ZOO_VECTOR_ISA"), capped)
            XCTAssertFalse(plain.contains("Zoo's vectors baseline;"), plain)
        }
    }

    /// A value `ZOO_VECTOR_ISA` does not know stops the process and names the accepted ones.
    func testAnUnknownVectorSetIsRefused() throws {
        let (status, _, errors) = try runZoo(["--version"], environment: ["ZOO_VECTOR_ISA": "avx1024"], beside: Self.self)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(errors.contains("ZOO_VECTOR_ISA=avx1024 is not one of baseline, avx2, avx512"), errors)
    }

    /// What `zoo --version` prints in this environment with `environment` laid over it (a nil
    /// value removes a variable).
    func versionText(_ environment: [String: String?]) throws -> String {
        let (status, output, errors) = try runZoo(["--version"], environment: environment, beside: Self.self)
        XCTAssertEqual(status, 0, errors)
        return output
    }
}
