import XCTest
import ZooTensor

@testable import ZooKit

/// `zoo --version` names Zoo's version and the numeric setup a result depends on (#22).
final class VersionTests: XCTestCase {
    func testTheVersionNamesTheBLASKernelAndTheThreads() {
        let text = ZooVersion.description
        XCTAssertTrue(text.hasPrefix("zoo \(ZooVersion.number)\n"), text)
        XCTAssertTrue(text.contains("kernel \(BLAS.coreName) (\(BLAS.kernelSelection))"), text)
        XCTAssertTrue(text.contains("\(Parallel.threadCount) threads"), text)
        XCTAssertTrue(text.contains("Convolutions: \(ConvolutionAlgorithm.setting); oneDNN \(ConvolutionAlgorithm.onednnVersion)"), text)
        XCTAssertTrue(ConvolutionAlgorithm.onednnVersion.hasPrefix("2."), ConvolutionAlgorithm.onednnVersion)
        XCTAssertFalse(BLAS.coreName.isEmpty)
    }
}
