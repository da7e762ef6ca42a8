import Foundation
import ZooCore
import ZooTensor

/// Whose update rule an optimizer follows where Keras and PyTorch differ.
public enum OptimizerConvention: String, Sendable {
    /// Keras 3: Adam's epsilon is the paper's "epsilon hat" (added to the uncorrected root),
    /// SGD keeps the learning rate inside the velocity, weight decay is decoupled.
    case keras
    /// PyTorch: epsilon added to the bias-corrected root, the learning rate outside the
    /// velocity, `weight_decay` added to the gradient (L2), except in AdamW.
    case pytorch
}

/// How gradients are limited before an update.
public enum GradientClipping: Equatable, Sendable {
    case none
    /// Every gradient scaled by min(1, max / (global norm + 1e-6)): PyTorch's
    /// `clip_grad_norm_`, and Keras's `global_clipnorm` up to the 1e-6.
    case globalNorm(Float)
    /// Each gradient scaled to a norm of at most `max` on its own (Keras `clipnorm`).
    case norm(Float)
    /// Each element limited to [-max, max] (Keras `clipvalue`, PyTorch `clip_grad_value_`).
    case value(Float)
}

/// The machinery every optimizer shares: which parameters to update, clipping, the step
/// count and per-parameter state keyed by path. A subclass writes one small per-parameter
/// update.
open class GradientOptimizer: Optimizer {
    public var learningRate: Float
    public private(set) var iterations = 0
    public var clipping: GradientClipping
    /// State tensors by parameter path, then by slot name (`m`, `v`, `momentum`).
    private var slots: [String: [String: Tensor]] = [:]

    init(learningRate: Float, clipping: GradientClipping) {
        self.learningRate = learningRate
        self.clipping = clipping
    }

    /// The short name used in errors and state files.
    open var name: String { String(describing: type(of: self)) }

    /// Names of the slots each parameter keeps, for strict state loading.
    open var slotNames: [String] { [] }

    /// Updates `value` in place from `gradient`; `step` counts from 1.
    open func update(path: String, value: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>, step: Int) {}

    /// The slot `name` of the parameter at `path`, created with zeros on first use.
    public func slot(_ name: String, for path: String, count: Int) -> UnsafeMutableBufferPointer<Float> {
        let tensor: Tensor
        if let existing = slots[path]?[name] {
            tensor = existing
        } else {
            tensor = Tensor(zeros: [count])
            slots[path, default: [:]][name] = tensor
        }
        return tensor.withUnsafeMutableBufferPointer { $0 }
    }

    /// Whether the slot exists yet (PyTorch's momentum starts from the first gradient).
    public func hasSlot(_ name: String, for path: String) -> Bool { slots[path]?[name] != nil }

    public func step(_ parameters: [(path: String, parameter: Parameter)]) throws {
        let active = parameters.filter { $0.parameter.isTrainable && $0.parameter.value.grad != nil }
        // Every gradient is checked before any parameter moves: a refused step changes nothing.
        for entry in active {
            let grad = entry.parameter.value.grad!
            guard grad.shape == entry.parameter.value.shape else {
                throw TrainingError(name, "gradient of \(entry.path) has shape \(grad.shape), the parameter \(entry.parameter.value.shape)")
            }
            if let bad = grad.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
                throw TrainingError(name, "gradient of \(entry.path) is not finite (element \(bad) is \(grad.scalars[bad]))")
            }
        }
        // Clipping works on copies; without it the gradients are read where they are.
        var clipped: [[Float]]?
        if clipping != .none {
            var copies = active.map { $0.parameter.value.grad!.scalars }
            clip(&copies)
            clipped = copies
        }
        iterations += 1
        let step = iterations
        func apply(_ index: Int) {
            let entry = active[index]
            entry.parameter.value.withUnsafeMutableBufferPointer { value in
                if let clipped {
                    clipped[index].withUnsafeBufferPointer { update(path: entry.path, value: value, gradient: $0, step: step) }
                } else {
                    entry.parameter.value.grad!.withUnsafeBufferPointer { update(path: entry.path, value: value, gradient: $0, step: step) }
                }
            }
        }
        // Parameters update independently, in parallel once every slot exists (creating one
        // writes the shared table; the first step runs in order).
        let ready = active.allSatisfy { entry in slotNames.allSatisfy { hasSlot($0, for: entry.path) } }
        if ready, active.count > 1 {
            Parallel.forEach(active.count, apply)
        } else {
            for index in active.indices { apply(index) }
        }
    }

    private func clip(_ gradients: inout [[Float]]) {
        func norm(_ values: [Float]) -> Double { values.reduce(0.0) { $0 + Double($1) * Double($1) } }
        switch clipping {
        case .none:
            return
        case .globalNorm(let maximum):
            let total = gradients.reduce(0.0) { $0 + norm($1) }.squareRoot()
            let scale = Float(Swift.min(1, Double(maximum) / (total + 1e-6)))
            if scale < 1 { gradients = gradients.map { $0.map { $0 * scale } } }
        case .norm(let maximum):
            gradients = gradients.map { values in
                let n = norm(values).squareRoot()
                return n > Double(maximum) ? values.map { $0 * Float(Double(maximum) / n) } : values
            }
        case .value(let maximum):
            gradients = gradients.map { $0.map { Swift.min(Swift.max($0, -maximum), maximum) } }
        }
    }

    public func stateDictionary() -> [String: Tensor] {
        var state = ["iterations": Tensor(Float(iterations))]
        for (path, named) in slots {
            for (slot, tensor) in named { state["\(path)/\(slot)"] = tensor.copy() }
        }
        return state
    }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        guard let count = state["iterations"] else { throw TrainingError(name, "state has no 'iterations'") }
        var restored = [String: [String: Tensor]]()
        for (key, tensor) in state where key != "iterations" {
            guard let cut = key.lastIndex(of: "/"), slotNames.contains(String(key[key.index(after: cut)...])) else {
                throw TrainingError(name, "unexpected state entry '\(key)' (slots are \(slotNames))")
            }
            restored[String(key[..<cut]), default: [:]][String(key[key.index(after: cut)...])] = tensor.copy()
        }
        iterations = Int(try count.item())
        slots = restored
    }
}
