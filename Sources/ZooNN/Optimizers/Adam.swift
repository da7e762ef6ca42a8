import Foundation
import ZooCore
import ZooTensor

/// Adam (Kingma and Ba, 2015), in either framework's form.
///
/// Keras: `alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)`; `p -= alpha * m / (sqrt(v) + eps)`
/// (epsilon default 1e-7); `weight_decay` decoupled: `p *= 1 - lr * wd` before the step.
/// PyTorch: `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)` (epsilon default
/// 1e-8); `weight_decay` added to the gradient (L2) unless `decoupledWeightDecay` (AdamW).
public class Adam: GradientOptimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    public let convention: OptimizerConvention

    /// `epsilon` nil takes the convention's default (Keras 1e-7, PyTorch 1e-8).
    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float? = nil,
        weightDecay: Float = 0, decoupledWeightDecay: Bool? = nil, convention: OptimizerConvention = .keras,
        clipping: GradientClipping = .none
    ) throws {
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw TrainingError("Adam", "betas must lie in [0, 1), got \(beta1) and \(beta2)")
        }
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon ?? (convention == .keras ? 1e-7 : 1e-8)
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay ?? (convention == .keras)
        self.convention = convention
        super.init(learningRate: learningRate, clipping: clipping)
    }

    public override var slotNames: [String] { ["m", "v"] }

    public override func update(
        path: String, value p: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>, step: Int
    ) {
        let m = slot("m", for: path, count: p.count)
        let v = slot("v", for: path, count: p.count)
        let (lr, b1, b2, eps, wd) = (learningRate, beta1, beta2, epsilon, weightDecay)
        let correction1 = 1 - Float(Foundation.pow(Double(b1), Double(step)))
        let correction2 = 1 - Float(Foundation.pow(Double(b2), Double(step)))
        if wd != 0 && decoupledWeightDecay {
            for i in p.indices { p[i] -= p[i] * lr * wd }
        }
        let coupled = wd != 0 && !decoupledWeightDecay
        switch convention {
        case .keras:
            let alpha = lr * correction2.squareRoot() / correction1
            for i in p.indices {
                let grad = coupled ? g[i] + wd * p[i] : g[i]
                m[i] += (grad - m[i]) * (1 - b1)
                v[i] += (grad * grad - v[i]) * (1 - b2)
                p[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
            }
        case .pytorch:
            let stepSize = lr / correction1
            let rootCorrection = correction2.squareRoot()
            for i in p.indices {
                let grad = coupled ? g[i] + wd * p[i] : g[i]
                m[i] = b1 * m[i] + (1 - b1) * grad
                v[i] = b2 * v[i] + (1 - b2) * grad * grad
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection + eps)
            }
        }
    }
}

/// AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay, `p *= 1 - lr * wd`
/// before each step. Default decay as the convention's framework: PyTorch 1e-2, Keras 4e-3.
public final class AdamW: Adam {
    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float? = nil,
        weightDecay: Float? = nil, convention: OptimizerConvention = .pytorch, clipping: GradientClipping = .none
    ) throws {
        try super.init(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            weightDecay: weightDecay ?? (convention == .pytorch ? 1e-2 : 4e-3), decoupledWeightDecay: true,
            convention: convention, clipping: clipping)
    }

    public override var name: String { "AdamW" }
}
