import ZooCore
import ZooTensor

/// Stochastic gradient descent with momentum, Nesterov momentum and weight decay.
///
/// PyTorch: `g += wd * p` (L2); `b = mu * b + (1 - dampening) * g` (b = g on the first step);
/// `p -= lr * (nesterov ? g + mu * b : b)`.
/// Keras: `p *= 1 - lr * wd` (decoupled); `m = mu * m - lr * g`;
/// `p += nesterov ? mu * m - lr * g : m`.
public final class SGD: GradientOptimizer {
    public let momentum: Float
    public let nesterov: Bool
    public let dampening: Float
    public let weightDecay: Float
    public let convention: OptimizerConvention

    public init(
        learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false, dampening: Float = 0,
        weightDecay: Float = 0, convention: OptimizerConvention = .pytorch, clipping: GradientClipping = .none
    ) throws {
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw TrainingError("SGD", "Nesterov momentum needs momentum > 0 and no dampening")
        }
        guard convention == .pytorch || dampening == 0 else {
            throw TrainingError("SGD", "Keras's SGD has no dampening")
        }
        self.momentum = momentum
        self.nesterov = nesterov
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.convention = convention
        super.init(learningRate: learningRate, clipping: clipping)
    }

    public override var slotNames: [String] { ["momentum"] }

    public override func update(
        path: String, value p: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>, step: Int
    ) {
        let (lr, mu, wd) = (learningRate, momentum, weightDecay)
        switch convention {
        case .pytorch:
            if mu == 0 {
                for i in p.indices { p[i] -= lr * (g[i] + wd * p[i]) }
                return
            }
            let first = !hasSlot("momentum", for: path)
            let b = slot("momentum", for: path, count: p.count)
            for i in p.indices {
                let grad = g[i] + wd * p[i]
                b[i] = first ? grad : mu * b[i] + (1 - dampening) * grad
                p[i] -= lr * (nesterov ? grad + mu * b[i] : b[i])
            }
        case .keras:
            if wd != 0 { for i in p.indices { p[i] -= p[i] * wd * lr } }
            if mu == 0 {
                for i in p.indices { p[i] -= lr * g[i] }
                return
            }
            let m = slot("momentum", for: path, count: p.count)
            for i in p.indices {
                m[i] = mu * m[i] - lr * g[i]
                p[i] += nesterov ? mu * m[i] - lr * g[i] : m[i]
            }
        }
    }
}
