import XCTest

@testable import ZooTensor

/// Zoo's C kernels (`CVectorKernels`, Winograd's tile transforms) give the same bits on every
/// instruction set this CPU has, at the edges of their vectors (channel counts around 8 and 16)
/// and of the tiling, with the bias and with each part of the inference epilogue; the accuracy of
/// the transforms themselves is WinogradTests'.
final class VectorKernelsTests: XCTestCase {
    let sets = VectorKernels.InstructionSet.allCases.filter { $0 <= VectorKernels.supported }

    /// The outputs' bit patterns of `body` on each set, checked equal to the baseline's.
    func assertSameBitsOnEverySet(_ label: String, _ body: () throws -> Tensor) throws {
        let baseline = try VectorKernels.with(.baseline) { try body().scalars.map(\.bitPattern) }
        for set in sets.dropFirst() {
            let bits = try VectorKernels.with(set) { try body().scalars.map(\.bitPattern) }
            XCTAssertEqual(bits.count, baseline.count, label)
            let differing = zip(bits, baseline).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(label): \(differing) of \(bits.count) outputs differ between \(set.summary) and SSE2")
        }
    }

    func testEveryInstructionSetGivesTheBaselinesBits() throws {
        print("VectorKernelsTests: comparing \(sets.map(\.summary).joined(separator: ", ")) (the CPU's widest: \(VectorKernels.supported.summary))")
        XCTAssertGreaterThan(sets.count, 1, "an x86-64 CPU without AVX2 runs only the baseline; nothing to compare")
        // Channels: below, at and past one AVX2 vector (8) and one AVX-512 vector (16); outputs
        // that are not multiples of the 4x4 tile.
        for (inChannels, outChannels, height, width) in [(1, 7, 5, 6), (8, 16, 4, 4), (13, 17, 7, 9), (16, 24, 9, 5), (33, 40, 6, 11)] {
            let x = uniform([2, height, width, inChannels], seed: 11)
            let w = uniform([3, 3, inChannels, outChannels], -0.5, 0.5, seed: 12)
            let bias = uniform([outChannels], seed: 13)
            let label = "\(inChannels) -> \(outChannels) at \(height)x\(width)"
            for padding in [Padding.same, .valid] {
                try assertSameBitsOnEverySet("\(label), \(padding), bias") {
                    try ConvolutionAlgorithm.using(.winograd) { try conv2d(x, kernel: w, bias: bias, padding: padding) }
                }
            }
            // The epilogue: a scale and shift, a residual, ReLU6 (outputs on both sides of 0 and 6).
            let scale = uniform([outChannels], 0.5, 8, seed: 14)
            let shift = uniform([outChannels], -1, 1, seed: 15)
            let residual = uniform([2, height, width, outChannels], -3, 3, seed: 16)
            for (activation, withResidual) in [(OutputEpilogue.Activation.linear, false), (.relu, true), (.relu6, true), (.relu6, false)] {
                try assertSameBitsOnEverySet("\(label), epilogue \(activation), residual \(withResidual)") {
                    try ConvolutionAlgorithm.using(.winograd) {
                        try fusedConvolution(
                            x, kernel: w, strides: [1, 1], padding: .same, dilations: [1, 1], scale: scale, shift: shift,
                            residual: withResidual ? residual : nil, activation: activation)
                    }
                }
            }
        }
    }

    /// The data gradient runs F(4x4, 3x3) on the flipped kernel (a transposed convolution's
    /// forward pass is that data gradient): the same on every set.
    func testTheDataGradientIsTheSameOnEverySet() throws {
        let t = uniform([1, 10, 7, 21], seed: 21)
        let w = uniform([3, 3, 19, 21], -0.5, 0.5, seed: 22)
        try assertSameBitsOnEverySet("data gradient") {
            try ConvolutionAlgorithm.using(.winograd) { try conv2dTranspose(t, kernel: w, padding: .same) }
        }
    }
}
