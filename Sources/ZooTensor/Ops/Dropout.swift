/// Inverted dropout: kept elements are scaled by 1 / (1 - rate) in training, so inference is
/// the identity (Keras and PyTorch semantics).

/// Zeroes each element with probability `rate`, drawing from `random`.
public func dropout(_ x: Tensor, rate: Float, using random: inout RandomGenerator) throws -> Tensor {
    guard rate >= 0, rate < 1 else { throw TensorError("dropout", "rate must lie in [0, 1), got \(rate)") }
    if rate == 0 { return x }
    let keep = 1 - rate
    let mask = Tensor.uninitialized(x.shape)
    let m = mask.data
    for i in 0..<x.count { m[i] = random.nextUnit() < keep ? 1 / keep : 0 }
    let y = zipElements(x, mask, MultiplyZip())
    return Tensor.result("dropout", y, inputs: [x]) { g in [zipElements(g, mask, MultiplyZip())] }
}
