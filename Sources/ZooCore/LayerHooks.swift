import ZooTensor

/// Scopes that see every layer call on the current thread: the hook through which tools
/// outside the model (Grad-CAM in ZooExplain) read or substitute a layer's output without the
/// model's cooperation.
///
/// A hook receives the layer, its inputs and its output, and returns the output the model
/// continues with (usually the same tensor). Scopes nest: the innermost hook runs first and
/// the outer ones see what it returned. Outside any scope a layer call costs one thread-local
/// read.
public final class LayerHooks {
    /// A hook: (layer, inputs, output) to the output the forward pass continues with.
    public typealias Hook = (Layer, [Tensor], Tensor) throws -> Tensor

    private static let current = ThreadLocal<LayerHooks>()
    private let hook: Hook
    private let outer: LayerHooks?

    private init(hook: @escaping Hook, outer: LayerHooks?) {
        self.hook = hook
        self.outer = outer
    }

    /// Whether a hook sees this thread's layer calls (the graph then runs every layer as
    /// written, without inference rewrites).
    public static var isActive: Bool { current.value != nil }

    /// Runs `body` with `hook` called after every layer call on this thread.
    public static func with<R>(_ hook: @escaping Hook, _ body: () throws -> R) rethrows -> R {
        try current.with(LayerHooks(hook: hook, outer: current.value)) { try body() }
    }

    /// Passes a layer call through the active hooks, innermost first.
    static func apply(layer: Layer, inputs: [Tensor], output: Tensor) throws -> Tensor {
        var scope = current.value
        var result = output
        while let active = scope {
            result = try active.hook(layer, inputs, result)
            scope = active.outer
        }
        return result
    }
}
