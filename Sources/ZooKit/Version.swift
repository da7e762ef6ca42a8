import Foundation
import ZooTensor

/// What `zoo --version` prints: Zoo's version, and the machine's numeric setup a result depends
/// on (the OpenBLAS kernel and how it was chosen, the threads, the CPU), so that a bug report or
/// a benchmark table names them.
public enum ZooVersion {
    /// The package's version (the tag of its releases).
    public static let number = "0.0.1"

    /// `zoo 0.0.1` and a line each for BLAS (kernel, selection), the convolution algorithm, the
    /// plan file with the machine key its choices are kept under, the CPU and threads (whose
    /// threads: libgomp's or libdispatch's), how long idle OpenMP threads spin, and the
    /// instruction set of Zoo's C kernels.
    public static var description: String {
        [
            "zoo \(number)",
            "BLAS: OpenBLAS, kernel \(BLAS.coreName) (\(BLAS.kernelSelection))",
            "Convolutions: \(ConvolutionAlgorithm.setting); oneDNN \(ConvolutionAlgorithm.onednnVersion)"
                + (ConvolutionAlgorithm.onednnAvailable ? " (\(ConvolutionAlgorithm.onednnISA))" : " (not loaded: Zoo's kernels only)"),
            "Convolution plans: \(ConvolutionPlanFile.summary)",
            "CPU: \(CPUInfo.summary), \(Parallel.threadCount) threads (\(Parallel.poolSummary))",
            "Idle OpenMP threads spin: \(Parallel.spinSummary)",
            "Zoo's vector kernels: \(VectorKernels.summary)",
        ].joined(separator: "\n")
    }
}
