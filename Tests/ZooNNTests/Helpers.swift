import XCTest
import ZooCore
import ZooTensor

func assertClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "element counts differ \(message)", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where Swift.abs(a - e) > tolerance * Swift.max(1, Swift.abs(e)) {
        XCTFail("element \(i): \(a) != \(e) \(message)", file: file, line: line)
        return
    }
}

/// Asserts that `body` throws an error whose text contains every fragment.
func assertThrows(
    _ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch {
        let text = "\(error)"
        for fragment in fragments where !text.contains(fragment) {
            XCTFail("error \"\(text)\" does not mention \"\(fragment)\"", file: file, line: line)
        }
    }
}

func uniform(_ shape: [Int], _ low: Float = -1, _ high: Float = 1, seed: UInt64 = 1) -> Tensor {
    var random = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape, low: low, high: high, using: &random)
}

/// Central-difference check of d loss / d input for a scalar loss, in Double.
func assertScalarGradient(
    _ input: Tensor, step: Float = 1e-3, tolerance: Float = 2e-2, file: StaticString = #filePath, line: UInt = #line,
    _ f: (Tensor) throws -> Tensor
) throws {
    input.requiresGrad = true
    input.grad = nil
    try f(input).backward()
    let analytic = input.grad!.scalars
    var worst: Float = 0
    let scale = Swift.max(analytic.map { Swift.abs($0) }.max() ?? 0, 1e-3)
    for i in 0..<input.count {
        let original = input.scalars[i]
        input.withUnsafeMutableBufferPointer { $0[i] = original + step }
        let plus = Double(try withoutGrad { try f(input).item() })
        input.withUnsafeMutableBufferPointer { $0[i] = original - step }
        let minus = Double(try withoutGrad { try f(input).item() })
        input.withUnsafeMutableBufferPointer { $0[i] = original }
        worst = Swift.max(worst, Swift.abs(Float((plus - minus) / Double(2 * step)) - analytic[i]))
    }
    XCTAssertLessThanOrEqual(worst / scale, tolerance, "gradient differs from central differences", file: file, line: line)
}
