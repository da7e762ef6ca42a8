import XCTest

@testable import ZooTensor

/// Finite-difference gradient checking.
///
/// The function's output is projected on a fixed random tensor R, so one backward pass with
/// seed R gives the gradient of sum(f(x) * R), and central differences of the same sum
/// (accumulated in Double) give the reference. Inputs should keep away from kinks (ReLU at 0,
/// ties in a maximum) by more than `step`.
func assertGradientsMatch(
    _ inputs: [Tensor], step: Float = 1e-2, tolerance: Float = 1e-2, seed: UInt64 = 99,
    file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) throws -> Tensor
) throws {
    for input in inputs { input.requiresGrad = true; input.grad = nil }
    let output = try f(inputs)
    var random = RandomGenerator(seed: seed)
    let projection = Tensor.randomUniform(output.shape, low: -1, high: 1, using: &random)
    try output.backward(projection)
    let weights = projection.scalars

    func projected() throws -> Double {
        let values = try withoutGrad { try f(inputs) }.scalars
        return zip(values, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    for (index, input) in inputs.enumerated() {
        guard let analytic = input.grad?.scalars else {
            XCTFail("input \(index) received no gradient", file: file, line: line)
            continue
        }
        var numeric = [Float](repeating: 0, count: input.count)
        for i in 0..<input.count {
            let original = input.data[i]
            input.data[i] = original + step
            let plus = try projected()
            input.data[i] = original - step
            let minus = try projected()
            input.data[i] = original
            numeric[i] = Float((plus - minus) / Double(2 * step))
        }
        let scale = Swift.max(numeric.map(Swift.abs).max() ?? 0, 1e-3)
        var worst: (Int, Float) = (0, 0)
        for i in 0..<input.count {
            let error = Swift.abs(analytic[i] - numeric[i])
            if error > worst.1 { worst = (i, error) }
        }
        XCTAssertLessThanOrEqual(
            worst.1 / scale, tolerance,
            "input \(index) \(input.shape): element \(worst.0) analytic \(analytic[worst.0]) numeric \(numeric[worst.0])",
            file: file, line: line)
    }
}

/// A tensor of uniform values in [low, high) from a fixed seed.
func uniform(_ shape: [Int], _ low: Float = -1, _ high: Float = 1, seed: UInt64 = 1) -> Tensor {
    var random = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape, low: low, high: high, using: &random)
}

/// Distinct values spaced `gap` apart in a seeded random order, with random signs kept away
/// from zero: inputs for maxima and kinks that a finite difference must not cross.
func separated(_ shape: [Int], gap: Float = 0.05, seed: UInt64 = 3) -> Tensor {
    var random = RandomGenerator(seed: seed)
    let count = shape.reduce(1, *)
    var values = (0..<count).map { Float($0 + 1) * gap }
    values.shuffle(using: &random)
    values = values.map { random.nextUnit() < 0.5 ? -$0 : $0 }
    return try! Tensor(shape: shape, scalars: values)
}

/// Asserts that `body` throws a `TensorError` whose text contains every fragment.
func assertTensorError(
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

func assertClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "element counts differ", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where Swift.abs(a - e) > tolerance * Swift.max(1, Swift.abs(e)) {
        XCTFail("element \(i): \(a) != \(e)", file: file, line: line)
        return
    }
}
