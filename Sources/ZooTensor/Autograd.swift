import Foundation

/// One recorded operation: its inputs and the rule that maps the gradient of its output to
/// the gradients of its inputs (nil where an input needs none).
final class GradNode {
    let op: String
    let inputs: [Tensor]
    let backward: (Tensor) throws -> [Tensor?]

    init(op: String, inputs: [Tensor], backward: @escaping (Tensor) throws -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether operations on this thread record themselves for differentiation.
public enum GradMode {
    private static let disabledKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True unless the current thread is inside `withoutGrad`.
    public static var isEnabled: Bool { pthread_getspecific(disabledKey) == nil }

    static func setEnabled(_ enabled: Bool) {
        pthread_setspecific(disabledKey, enabled ? nil : UnsafeRawPointer(bitPattern: 1))
    }
}

/// Runs `body` without recording any operation: inference, metric computation, updates.
public func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = GradMode.isEnabled
    GradMode.setEnabled(false)
    defer { GradMode.setEnabled(previous) }
    return try body()
}

extension Tensor {
    /// Wraps a kernel's result, recording `backward` when gradients are wanted.
    static func result(
        _ op: String, _ value: Tensor, inputs: [Tensor],
        backward: @escaping (Tensor) throws -> [Tensor?]
    ) -> Tensor {
        if GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) {
            value.requiresGrad = true
            value.node = GradNode(op: op, inputs: inputs, backward: backward)
        }
        return value
    }

    /// Back-propagates from this tensor. Without `gradient` the tensor must hold one element
    /// and its gradient is 1. Gradients add up in the `grad` of every leaf that requires one
    /// (and of intermediates marked with `retainGrad()`), so several calls accumulate.
    /// `retainGraph: false` (PyTorch's default, the trainer's choice) lets go of each node, and
    /// of the activations it saved, as soon as its gradient has passed: the step's peak memory
    /// no longer holds every activation and every gradient at once; the graph cannot be
    /// back-propagated again.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = true) throws {
        try backward(gradient, retainGraph: retainGraph, leafGradient: nil)
    }

    /// `backward`, calling `leafGradient` with each leaf as soon as its gradient is complete
    /// (every use of it has passed its gradient back), while the rest of the graph is still
    /// being back-propagated: data-parallel training starts summing those gradients over the
    /// processes then, as PyTorch's DDP does.
    public func backward(_ gradient: Tensor?, retainGraph: Bool, leafGradient: ((Tensor) throws -> Void)?) throws {
        let seed = try seedGradient(gradient)
        try Tensor.propagate(from: self, seed: seed, release: !retainGraph) { tensor, g in
            guard tensor.retainsGrad || (tensor.node == nil && tensor.requiresGrad) else { return }
            if let existing = tensor.grad {
                try existing.addInPlace(g)
            } else {
                tensor.grad = g.copy()
            }
            if tensor.node == nil, let leafGradient { try leafGradient(tensor) }
        }
    }

    /// The gradients of this tensor with respect to `sources` (leaves or intermediates),
    /// without touching any `grad`. A source the output does not depend on gets zeros.
    public func gradients(withRespectTo sources: [Tensor], seed gradient: Tensor? = nil) throws -> [Tensor] {
        let seed = try seedGradient(gradient)
        var wanted = [ObjectIdentifier: Tensor]()
        for source in sources { wanted[ObjectIdentifier(source)] = nil }
        let ids = Set(sources.map(ObjectIdentifier.init))
        try Tensor.propagate(from: self, seed: seed) { tensor, g in
            if ids.contains(ObjectIdentifier(tensor)) { wanted[ObjectIdentifier(tensor)] = g }
        }
        return sources.map { wanted[ObjectIdentifier($0)]?.copy() ?? Tensor(zeros: $0.shape) }
    }

    private func seedGradient(_ gradient: Tensor?) throws -> Tensor {
        if let gradient {
            guard gradient.shape == shape else {
                throw TensorError.shapes("backward", "gradient shape differs from tensor", gradient.shape, shape)
            }
            return gradient
        }
        guard count == 1 else {
            throw TensorError("backward", "needs an explicit gradient for a non-scalar tensor of shape \(shape)")
        }
        return Tensor(repeating: 1, shape: shape)
    }

    /// Visits the graph below `root` in reverse topological order, handing each tensor its
    /// complete gradient before passing it on to the tensor's inputs.
    private static func propagate(
        from root: Tensor, seed: Tensor, release: Bool = false, visit: (Tensor, Tensor) throws -> Void
    ) throws {
        var order = topologicalOrder(from: root).reversed().map { Optional($0) }
        var pending = [ObjectIdentifier: Tensor]()
        pending[ObjectIdentifier(root)] = seed
        try withoutGrad {
            for index in order.indices {
                guard let tensor = order[index] else { continue }
                if release { order[index] = nil }
                guard let g = pending.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
                try visit(tensor, g)
                guard let node = tensor.node else { continue }
                // Released, the node's saved tensors go once its inputs' gradients exist.
                if release { tensor.node = nil }
                let inputGrads = try node.backward(g)
                for (input, inputGrad) in zip(node.inputs, inputGrads) {
                    guard input.requiresGrad, let inputGrad else { continue }
                    guard inputGrad.shape == input.shape else {
                        throw TensorError.shapes(
                            "\(node.op) backward", "gradient shape differs from input", inputGrad.shape, input.shape)
                    }
                    let key = ObjectIdentifier(input)
                    if let existing = pending[key] {
                        pending[key] = try existing + inputGrad
                    } else {
                        pending[key] = inputGrad
                    }
                }
            }
        }
    }

    /// Tensors reachable from `root` through recorded inputs, each after all of its inputs.
    private static func topologicalOrder(from root: Tensor) -> [Tensor] {
        var order = [Tensor]()
        var seen = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(root, false)]
        while let (tensor, inputsDone) = stack.popLast() {
            if inputsDone {
                order.append(tensor)
                continue
            }
            guard seen.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.node?.inputs ?? [] where input.requiresGrad {
                if !seen.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
            }
        }
        return order
    }
}

// A backward rule never captures its own result tensor: the result owns its node, so the
// capture would be a reference cycle that leaks the activation. Rules that need the output
// (sigmoid, tanh, exp, softmax) capture `result.detached()`, which shares memory, not the node.
