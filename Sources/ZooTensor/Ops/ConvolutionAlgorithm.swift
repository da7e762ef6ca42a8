import CDNNL
import Foundation
import Synchronization

/// How each convolution is computed, chosen per shape as cuDNN's benchmark mode does.
///
/// Two algorithms compute every convolution pass (forward, data gradient, kernel gradient), 2D
/// and 3D, dense and depthwise: Zoo's own kernels (im2col + SGEMM in `ConvKernels.swift`, direct
/// loops for depthwise in `Depthwise.swift`) and oneDNN's direct kernels on the same
/// channels-last activations, with the kernel reordered into oneDNN's blocked layout: on each
/// call while it is being trained (it changes every step), once while it stays constant
/// (inference, frozen layers; `ConvKernel`). A third, Winograd's F(4x4, 3x3) of Zoo's own
/// (`Winograd.swift`), computes the forward pass and the data gradient of stride-1 3x3 2D
/// convolutions. None wins everywhere: oneDNN's AVX-512 brgemm kernels run near the FMA limit
/// where im2col pays for its copies, while on AVX2 machines its GEMM-based fallbacks can lose to
/// Zoo's split of the product, and Winograd's fewer multiplications pay for its transforms only
/// with enough channels. So the first call of a (pass, shape) times every candidate and every
/// later call in the process takes the winner. The timed call's output is always the winner's,
/// so each shape's results come from one algorithm throughout a process.
///
/// The choices are kept per machine in a plan file (`ConvolutionPlanFile`), so that every
/// later process, and every rank or sweep worker, computes each shape with the same algorithm:
/// a seeded run gives the same numbers each time it runs on the machine (the algorithms
/// differ in the last bits, which training amplifies).
///
/// `ZOO_CONV_ALGORITHM=zoo|onednn|winograd` forces one (tests, comparisons; Winograd where it
/// applies, Zoo's kernels elsewhere); `auto` (or unset) times.
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    /// Zoo's own kernels: im2col + SGEMM, or the direct depthwise loops.
    case zoo
    /// oneDNN's primitives.
    case onednn
    /// Winograd's F(4x4, 3x3): the forward pass and data gradient of stride-1 3x3 2D convolutions.
    case winograd

    /// The three products a convolution layer needs.
    public enum Pass: String, Sendable {
        case forward
        case backwardData = "backward-data"
        case backwardWeights = "backward-weights"

        var dnnl: zoo_dnnl_pass {
            switch self {
            case .forward: ZOO_DNNL_FORWARD
            case .backwardData: ZOO_DNNL_BACKWARD_DATA
            case .backwardWeights: ZOO_DNNL_BACKWARD_WEIGHTS
            }
        }
    }

    /// What was decided for one shape, for `zoo bench` and the performance tables.
    public struct Choice: Sendable {
        public let pass: Pass
        /// (batch, input extents, in channels, kernel extents, out channels, strides, dilations).
        public let shape: String
        public let algorithm: ConvolutionAlgorithm
        /// oneDNN's implementation name (e.g. `brgconv:avx512_core`), or why it was not a candidate.
        public let onednnImplementation: String
        /// Seconds of the timed calls (nil when the algorithm was forced, came from the plan file, or
        /// was not a candidate).
        public let zooSeconds: Double?
        public let onednnSeconds: Double?
        public let winogradSeconds: Double?
    }

    /// `ZOO_CONV_ALGORITHM`: nil times every candidate (auto). An unknown value stops the process with the
    /// valid names: a typo must not silently measure something else.
    static let forced: ConvolutionAlgorithm? = {
        guard let text = ProcessInfo.processInfo.environment["ZOO_CONV_ALGORITHM"], !text.isEmpty, text != "auto" else {
            return nil
        }
        guard let algorithm = ConvolutionAlgorithm(rawValue: text) else {
            fatalError("ZOO_CONV_ALGORITHM=\(text) is not one of auto, \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return algorithm
    }()

    /// How convolutions are chosen in this process, as `zoo --version` prints it.
    public static var setting: String {
        forced.map { "\($0.rawValue) (ZOO_CONV_ALGORITHM)" } ?? "Zoo's kernels, oneDNN or Winograd F(4x4, 3x3), timed per shape on first use"
    }

    /// Whether oneDNN's CPU engine could be created.
    public static var onednnAvailable: Bool { zoo_dnnl_available() != 0 }

    /// oneDNN's version, e.g. `2.6.3`, or `unavailable` when the library cannot be opened.
    public static var onednnVersion: String {
        guard onednnAvailable else { return "unavailable" }
        var (major, minor, patch): (Int32, Int32, Int32) = (0, 0, 0)
        zoo_dnnl_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// The widest instruction set oneDNN dispatches to here, e.g. `avx512_core`, after any cap
    /// set by `ONEDNN_MAX_CPU_ISA`; `none` without oneDNN.
    public static var onednnISA: String { String(cString: zoo_dnnl_isa()) }

    /// Every choice made so far in this process, in the order the shapes were first seen.
    public static var choices: [Choice] { ConvolutionPlans.shared.choices() }

    /// Runs `body` with every convolution computed by `algorithm` (nil: by each shape's timed
    /// plan), for tests and side-by-side comparisons. Not for concurrent use: the setting is
    /// the process's while `body` runs. With `.onednn`, a shape oneDNN refuses still runs on
    /// Zoo's kernels; `onednnRefusals` says which. With `.winograd`, passes it does not compute
    /// run on Zoo's kernels.
    public static func using<T>(_ algorithm: ConvolutionAlgorithm?, _ body: () throws -> T) rethrows -> T {
        let saved = ConvolutionPlans.override
        ConvolutionPlans.override = algorithm
        defer { ConvolutionPlans.override = saved }
        return try body()
    }

    /// The shapes oneDNN could not take so far, with its reason.
    public static var onednnRefusals: [String] { ConvolutionPlans.shared.refusals() }
}

/// A oneDNN primitive for one pass and shape; destroyed with the plan cache (never, in practice).
final class OneDNNConvolution: @unchecked Sendable {
    let handle: OpaquePointer
    let implementation: String

    init(
        pass: ConvolutionAlgorithm.Pass, geometry g: ConvGeometry, withBias: Bool, depthwise: Bool,
        epilogue: OutputEpilogue.Kind?
    ) throws(TensorError) {
        var description = zoo_dnnl_geometry()
        description.spatial_dims = g.input[0] == 1 && g.kernel[0] == 1 && g.output[0] == 1 ? 2 : 3
        description.batch = Int32(g.batch)
        description.in_channels = Int32(g.inChannels)
        description.out_channels = Int32(g.outChannels)
        description.with_bias = withBias ? 1 : 0
        description.groups = depthwise ? Int32(g.inChannels) : 1
        if let epilogue {
            description.post_scale_shift = 1
            description.post_sum = epilogue.residual ? 1 : 0
            description.post_activation = epilogue.activation.code
        }
        withUnsafeMutableBytes(of: &description.input) { $0.bindMemory(to: Int32.self).update(g.input) }
        withUnsafeMutableBytes(of: &description.output) { $0.bindMemory(to: Int32.self).update(g.output) }
        withUnsafeMutableBytes(of: &description.kernel) { $0.bindMemory(to: Int32.self).update(g.kernel) }
        withUnsafeMutableBytes(of: &description.strides) { $0.bindMemory(to: Int32.self).update(g.strides) }
        withUnsafeMutableBytes(of: &description.dilations) { $0.bindMemory(to: Int32.self).update(g.dilations) }
        withUnsafeMutableBytes(of: &description.pad_before) { $0.bindMemory(to: Int32.self).update(g.padBefore) }
        var error = [CChar](repeating: 0, count: 256)
        guard let handle = zoo_dnnl_create(pass.dnnl, &description, &error, error.count) else {
            throw TensorError("convolution", String(cString: error))
        }
        self.handle = handle
        implementation = String(cString: zoo_dnnl_implementation(handle))
    }

    /// Runs the pass; see `zoo_dnnl_execute` for what `a`, `b` and `out` are per pass (scale
    /// and shift: the epilogue's, for a primitive made with one).
    func execute(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, bias: UnsafePointer<Float>?, scale: UnsafePointer<Float>? = nil,
        shift: UnsafePointer<Float>? = nil, into out: UnsafeMutablePointer<Float>
    ) {
        run(a, b, prepared: nil, bias: bias, scale: scale, shift: shift, into: out)
    }

    /// Runs a pass that reads the kernel (forward, backward data), in this primitive's own
    /// layout when the kernel is constant.
    func execute(
        _ a: UnsafePointer<Float>, kernel: ConvKernel, bias: UnsafePointer<Float>?, scale: UnsafePointer<Float>? = nil,
        shift: UnsafePointer<Float>? = nil, into out: UnsafeMutablePointer<Float>
    ) {
        let prepared = preparedKernel(kernel)
        withExtendedLifetime(prepared) {
            run(a, kernel.pointer, prepared: prepared.map { UnsafeRawPointer($0.pointer) }, bias: bias, scale: scale, shift: shift, into: out)
        }
    }

    private func run(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, prepared: UnsafeRawPointer?, bias: UnsafePointer<Float>?,
        scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>
    ) {
        var error = [CChar](repeating: 0, count: 256)
        let bytes = zoo_dnnl_workspace_bytes(handle, prepared == nil ? 0 : 1)
        let status = Scratch.with((bytes + 3) / 4) { workspace in
            zoo_dnnl_execute(
                handle, Int32(Parallel.threadCount), a, b, prepared, bias, scale, shift, out, UnsafeMutableRawPointer(workspace),
                &error, error.count)
        }
        // A primitive that was created runs; a failure here is a bug or an exhausted machine.
        if status != 0 { fatalError("ZooTensor: \(String(cString: error))") }
    }

    /// The kernel in this primitive's layout, kept with the kernel's storage while the kernel
    /// stays constant: one reorder for a whole inference run instead of one per call (the
    /// reorders were a third of ResNet50's convolution time at batch 1; the net gain was smaller,
    /// as the kept copy is read from memory where the fresh one was still in cache). Primitives with the same layout share the
    /// copy; any write to the kernel drops it. A trained kernel is reordered on each call and
    /// leaves no copy behind.
    private func preparedKernel(_ kernel: ConvKernel) -> AlignedBlock? {
        let bytes = zoo_dnnl_prepared_weights_bytes(handle)
        guard bytes > 0 else { return nil }
        guard kernel.isConstant else {
            kernel.tensor.storage.dropLayouts()
            return nil
        }
        return kernel.tensor.storage.layout(
            for: self,
            matching: { other in
                guard let other = other as? OneDNNConvolution else { return false }
                return other === self || zoo_dnnl_same_weights_layout(other.handle, self.handle) != 0
            },
            bytes: bytes
        ) { destination in
            var error = [CChar](repeating: 0, count: 256)
            let status = zoo_dnnl_prepare_weights(handle, Int32(Parallel.threadCount), kernel.pointer, destination, &error, error.count)
            if status != 0 { fatalError("ZooTensor: \(String(cString: error))") }
            OneDNNConvolution.kernelReorders.add(1, ordering: .relaxed)
        }
    }

    /// Kernels put into a primitive's layout to be kept, in this process (for tests).
    static let kernelReorders = Atomic<Int>(0)
}

/// A convolution's kernel as its passes read it: the tensor, and whether it stays constant from
/// call to call, so that oneDNN may keep it in its own layout. Decided when the convolution is
/// called: constant unless the kernel is trained (requires a gradient, recorded); the backward
/// passes reuse the forward's decision.
struct ConvKernel {
    let tensor: Tensor
    let isConstant: Bool

    init(_ tensor: Tensor) {
        self.tensor = tensor
        isConstant = !tensor.requiresGrad || !GradMode.isEnabled
    }

    var pointer: UnsafePointer<Float> { tensor.readData }
}

private extension UnsafeMutableBufferPointer where Element == Int32 {
    func update(_ values: [Int]) {
        for (index, value) in values.prefix(count).enumerated() { self[index] = Int32(value) }
    }
}

/// The per-process cache of choices, keyed by pass, geometry and whether a bias is added.
final class ConvolutionPlans: @unchecked Sendable {
    static let shared = ConvolutionPlans()

    struct Key: Hashable {
        let pass: ConvolutionAlgorithm.Pass
        let geometry: ConvGeometry
        let withBias: Bool
        /// Each input channel convolved with its own filters (Keras's DepthwiseConv2D).
        let depthwise: Bool
        /// The inference epilogue of a forward pass, which oneDNN runs as post-ops.
        let epilogue: OutputEpilogue.Kind?

        /// The shape as `zoo bench` and the plan file name it.
        var shape: String {
            let g = geometry
            return (depthwise ? "depthwise " : "") + "b\(g.batch) \(g.input) x\(g.inChannels) k\(g.kernel) -> \(g.output) x\(g.outChannels)"
                + " s\(g.strides) d\(g.dilations)"
        }
    }

    struct Plan {
        let algorithm: ConvolutionAlgorithm
        let onednn: OneDNNConvolution?

        func run(zoo: () -> Void, onednn: (OneDNNConvolution) -> Void, winograd: (() -> Void)?) {
            switch algorithm {
            case .onednn: if let primitive = self.onednn { onednn(primitive) } else { zoo() }
            case .winograd: if let winograd { winograd() } else { zoo() }
            case .zoo: zoo()
            }
        }
    }

    private let lock = NSLock()
    private var plans: [Key: Plan] = [:]
    /// oneDNN's primitive per key, or the reason it has none.
    private var primitives: [Key: Result<OneDNNConvolution, TensorError>] = [:]
    private var decided: [ConvolutionAlgorithm.Choice] = []

    /// Set by `ConvolutionAlgorithm.using` (tests and comparisons): every shape takes it,
    /// without timing, for as long as it is set.
    nonisolated(unsafe) static var override: ConvolutionAlgorithm?

    func choices() -> [ConvolutionAlgorithm.Choice] { lock.withLock { decided } }

    func refusals() -> [String] {
        lock.withLock {
            primitives.compactMap { key, result in
                guard case .failure(let error) = result else { return nil }
                return "\(key.pass.rawValue) \(key.geometry): \(error.message)"
            }
        }
    }

    /// Runs `pass` by the plan for its shape, deciding (and timing) on the first call. `zoo`,
    /// `onednn` and `winograd` (nil where it does not apply) each compute the whole pass into
    /// the output. `kernel`, for the passes that read one: what the timed candidates kept of it
    /// is let go before the winner's final call, which keeps only its own. `prepare`, while the
    /// shape is being decided, runs before each candidate, outside its timing.
    func run(
        _ pass: ConvolutionAlgorithm.Pass, _ g: ConvGeometry, withBias: Bool = false, depthwise: Bool = false,
        epilogue: OutputEpilogue.Kind? = nil, kernel: ConvKernel? = nil, prepare: (() -> Void)? = nil, zoo: () -> Void,
        onednn: (OneDNNConvolution) -> Void, winograd: (() -> Void)? = nil
    ) {
        let key = Key(pass: pass, geometry: g, withBias: withBias, depthwise: depthwise, epilogue: epilogue)
        if let algorithm = Self.override {
            let primitive = algorithm == .onednn ? try? self.primitive(for: key).get() : nil
            Plan(algorithm: algorithm, onednn: primitive).run(zoo: zoo, onednn: onednn, winograd: winograd)
            return
        }
        if let plan = lock.withLock({ plans[key] }) {
            plan.run(zoo: zoo, onednn: onednn, winograd: winograd)
            return
        }
        let plan = decide(key, kernel: kernel, prepare: prepare ?? {}, zoo: zoo, onednn: onednn, winograd: winograd)
        lock.withLock { plans[key] = plans[key] ?? plan }
    }

    /// oneDNN's primitive for `key`, created on first use.
    func primitive(for key: Key) -> Result<OneDNNConvolution, TensorError> {
        if let known = lock.withLock({ primitives[key] }) { return known }
        let created = Result { () throws(TensorError) in
            try OneDNNConvolution(
                pass: key.pass, geometry: key.geometry, withBias: key.withBias, depthwise: key.depthwise, epilogue: key.epilogue)
        }
        return lock.withLock {
            if let known = primitives[key] { return known }
            primitives[key] = created
            return created
        }
    }

    private func decide(
        _ key: Key, kernel: ConvKernel?, prepare: () -> Void, zoo: () -> Void, onednn: (OneDNNConvolution) -> Void,
        winograd: (() -> Void)?
    ) -> Plan {
        func record(_ algorithm: ConvolutionAlgorithm, _ implementation: String, _ times: [ConvolutionAlgorithm: Double] = [:]) {
            lock.withLock {
                decided.append(ConvolutionAlgorithm.Choice(
                    pass: key.pass, shape: key.shape, algorithm: algorithm, onednnImplementation: implementation,
                    zooSeconds: times[.zoo], onednnSeconds: times[.onednn], winogradSeconds: times[.winograd]))
            }
        }
        if let forced = ConvolutionAlgorithm.forced, forced != .onednn {
            let plan = Plan(algorithm: forced == .winograd && winograd != nil ? .winograd : .zoo, onednn: nil)
            plan.run(zoo: zoo, onednn: onednn, winograd: winograd)
            record(plan.algorithm, "not tried: ZOO_CONV_ALGORITHM=\(forced.rawValue)")
            return plan
        }
        let primitive: OneDNNConvolution?
        let implementation: String
        switch self.primitive(for: key) {
        case .success(let created):
            primitive = created
            implementation = created.implementation
        case .failure(let error):
            // oneDNN refuses a few geometries (it says which step failed); Zoo's kernels compute all.
            primitive = nil
            implementation = "not a candidate: \(error.message)"
        }
        if ConvolutionAlgorithm.forced == .onednn {
            let plan = Plan(algorithm: primitive == nil ? .zoo : .onednn, onednn: primitive)
            plan.run(zoo: zoo, onednn: onednn, winograd: winograd)
            record(plan.algorithm, implementation)
            return plan
        }
        var candidates: [ConvolutionAlgorithm] = [.zoo]
        if primitive != nil { candidates.append(.onednn) }
        if winograd != nil { candidates.append(.winograd) }
        func compute(_ algorithm: ConvolutionAlgorithm) {
            Plan(algorithm: algorithm, onednn: primitive).run(zoo: zoo, onednn: onednn, winograd: winograd)
        }
        let planKey = ConvolutionPlanFile.entryKey(key)
        if let planned = ConvolutionPlanFile.shared?.algorithm(for: planKey), candidates.contains(planned) {
            compute(planned)
            record(planned, implementation)
            return Plan(algorithm: planned, onednn: planned == .onednn ? primitive : nil)
        }
        guard candidates.count > 1 else {
            zoo()
            record(.zoo, implementation)
            return Plan(algorithm: .zoo, onednn: nil)
        }
        // Every candidate but Zoo's first runs once untimed (oneDNN's first call touches its
        // buffers); then each runs twice, alternating, and keeps its faster time: one sample each
        // chose differently from run to run (measured: 2 to 12 of ResNet50's 40 forward shapes
        // went either way).
        for algorithm in candidates.dropFirst() {
            prepare()
            compute(algorithm)
        }
        var times = [ConvolutionAlgorithm: Double]()
        for _ in 0..<2 {
            for algorithm in candidates {
                prepare()
                times[algorithm] = Swift.min(times[algorithm] ?? .infinity, seconds { compute(algorithm) })
            }
        }
        var winner = candidates.min { times[$0]! < times[$1]! }!
        // The plan file keeps the first choice any process made for this shape on the machine.
        winner = ConvolutionPlanFile.shared?.keep(winner, for: planKey) ?? winner
        // The output is the winner's: the last timed call was another candidate's. A losing
        // candidate's copy of a constant kernel would stay with the kernel for nothing.
        kernel?.tensor.storage.dropLayouts()
        prepare()
        compute(winner)
        record(winner, implementation, times)
        return Plan(algorithm: winner, onednn: winner == .onednn ? primitive : nil)
    }

    private func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// The three passes of a convolution, each by the algorithm its shape's plan names.
extension ConvGeometry {
    /// y = conv(x, w) (+ bias), with the epilogue, when given, in the output pass.
    func forward(
        _ x: UnsafePointer<Float>, _ w: ConvKernel, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        epilogue: OutputEpilogue? = nil
    ) {
        ConvolutionPlans.shared.run(
            .forward, self, withBias: bias != nil, epilogue: epilogue?.kind, kernel: w,
            zoo: { im2colForward(x, w.pointer, bias: bias, into: y, epilogue: epilogue) },
            onednn: { primitive in
                // oneDNN's sum post-op adds what the output held: the residual.
                if let residual = epilogue?.residual { copyOutput(residual, into: y) }
                primitive.execute(x, kernel: w, bias: bias, scale: epilogue?.scale, shift: epilogue?.shift, into: y)
            },
            winograd: winogradApplies ? { winogradForward(x, w, bias: bias, into: y, epilogue: epilogue) } : nil)
    }

    /// The forward pass with an epilogue whose residual the caller gives up (it reads it no
    /// more): where the shape's plan is oneDNN's, the result is written over `residual`, since
    /// oneDNN's sum post-op adds what its output memory holds and nothing need be copied there;
    /// Zoo's kernels and Winograd write `output()` (made when first asked for) and read the
    /// residual. Returns the memory that holds the result. While the shape is being decided,
    /// oneDNN writes `output()` too, after an untimed copy of the residual, so that the residual
    /// stays as it was for the next candidate; its timing is then that of the run it stands for.
    func forward(
        _ x: UnsafePointer<Float>, _ w: ConvKernel, overResidual residual: UnsafeMutablePointer<Float>,
        epilogue: OutputEpilogue, output: @escaping () -> UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        precondition(epilogue.residual == UnsafePointer(residual), "the epilogue must add the residual given up")
        var kind = epilogue.kind
        kind.residualIsOutput = true
        var onednnOutput = residual
        var result = residual
        ConvolutionPlans.shared.run(
            .forward, self, epilogue: kind, kernel: w,
            prepare: {
                onednnOutput = output()
                copyOutput(residual, into: onednnOutput)
            },
            zoo: {
                result = output()
                im2colForward(x, w.pointer, bias: nil, into: result, epilogue: epilogue)
            },
            onednn: { primitive in
                result = onednnOutput
                primitive.execute(x, kernel: w, bias: nil, scale: epilogue.scale, shift: epilogue.shift, into: result)
            },
            winograd: winogradApplies ? {
                result = output()
                winogradForward(x, w, bias: nil, into: result, epilogue: epilogue)
            } : nil)
        return result
    }

    /// Copies an output-sized tensor (the residual oneDNN's sum post-op adds) into `y`.
    private func copyOutput(_ source: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        Parallel.ranges(outputCount, grain: elementGrain) { range in
            (y + range.lowerBound).update(from: source + range.lowerBound, count: range.count)
        }
    }

    /// dx = the adjoint of the convolution applied to dy.
    func backwardData(_ dy: UnsafePointer<Float>, _ w: ConvKernel, into dx: UnsafeMutablePointer<Float>) {
        ConvolutionPlans.shared.run(
            .backwardData, self, kernel: w, zoo: { im2colBackwardData(dy, w.pointer, into: dx) },
            onednn: { $0.execute(dy, kernel: w, bias: nil, into: dx) },
            winograd: winogradBackwardDataApplies ? { winogradBackwardData(dy, w.pointer, into: dx) } : nil)
    }

    /// dw = the kernel gradient of the convolution from its input x and output gradient dy.
    func backwardFilter(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        ConvolutionPlans.shared.run(
            .backwardWeights, self, zoo: { im2colBackwardFilter(x, dy, into: dw) },
            onednn: { $0.execute(x, dy, bias: nil, into: dw) })
    }
}

/// The depthwise passes, by the same per-shape plans.
extension ConvGeometry {
    /// The epilogue may not hold a residual (no depthwise layer takes a sum).
    func depthwiseForward(
        _ x: UnsafePointer<Float>, _ w: ConvKernel, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        epilogue: OutputEpilogue? = nil
    ) {
        precondition(epilogue?.residual == nil, "a depthwise convolution's epilogue takes no residual")
        ConvolutionPlans.shared.run(
            .forward, self, withBias: bias != nil, depthwise: true, epilogue: epilogue?.kind, kernel: w,
            zoo: { directDepthwiseForward(x, w.pointer, bias: bias, into: y, epilogue: epilogue) },
            onednn: { $0.execute(x, kernel: w, bias: bias, scale: epilogue?.scale, shift: epilogue?.shift, into: y) })
    }

    func depthwiseBackwardData(_ dy: UnsafePointer<Float>, _ w: ConvKernel, into dx: UnsafeMutablePointer<Float>) {
        ConvolutionPlans.shared.run(
            .backwardData, self, depthwise: true, kernel: w, zoo: { directDepthwiseBackwardData(dy, w.pointer, into: dx) },
            onednn: { $0.execute(dy, kernel: w, bias: nil, into: dx) })
    }

    func depthwiseBackwardFilter(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        ConvolutionPlans.shared.run(
            .backwardWeights, self, depthwise: true, zoo: { directDepthwiseBackwardFilter(x, dy, into: dw) },
            onednn: { $0.execute(x, dy, bias: nil, into: dw) })
    }
}

/// The per-machine file of convolution choices: `ZOO_CONV_PLANS` names it (`off`: none, every
/// process times for itself), else `$ZOO_CACHE` or `~/.cache/zoo`, `convolution-plans.json`.
/// Choices are grouped by what they depend on: the CPU, the kernels each library dispatches to
/// (OpenBLAS's core type, oneDNN's instruction set, Zoo's own `VectorKernels`: each can be capped
/// by the environment, as `OPENBLAS_CORETYPE=Haswell`, `ONEDNN_MAX_CPU_ISA=AVX2` or
/// `ZOO_VECTOR_ISA=avx2` do on an AVX-512 machine), oneDNN's version and the thread count. A shape's first recorded choice stays: a process that decided
/// otherwise meanwhile takes it.
public final class ConvolutionPlanFile: @unchecked Sendable {
    /// A variable so that tests can give it a file of their own.
    nonisolated(unsafe) static var shared: ConvolutionPlanFile? = {
        let environment = ProcessInfo.processInfo.environment
        if environment["ZOO_CONV_PLANS"] == "off" { return nil }
        let url = environment["ZOO_CONV_PLANS"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["ZOO_CACHE"] ?? (NSHomeDirectory() + "/.cache/zoo"))
                .appendingPathComponent("convolution-plans.json")
        return ConvolutionPlanFile(url: url, machine: machineKey)
    }()

    /// What the timings depend on: the CPU, the kernels of OpenBLAS, oneDNN and Zoo's C kernels,
    /// oneDNN's version, the threads, and the algorithms that were candidates (a choice made before an algorithm
    /// existed never timed it).
    public static var machineKey: String {
        "\(CPUInfo.summary); OpenBLAS \(BLAS.coreName); oneDNN \(ConvolutionAlgorithm.onednnVersion) "
            + "\(ConvolutionAlgorithm.onednnISA); Zoo's vectors \(VectorKernels.active.name); \(Parallel.threadCount) threads; "
            + "candidates \(ConvolutionAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))"
    }

    /// The file and the machine key, as `zoo --version` prints them; `off` when none is kept.
    public static var summary: String {
        shared.map { "\($0.url.path) for \($0.machine)" } ?? "off (ZOO_CONV_PLANS=off)"
    }

    /// The shape with everything else its plan depends on.
    static func entryKey(_ key: ConvolutionPlans.Key) -> String {
        var text = "\(key.pass.rawValue) \(key.shape) p\(key.geometry.padBefore)"
        if key.withBias { text += " bias" }
        if let epilogue = key.epilogue {
            let residual = epilogue.residualIsOutput ? "residual as output, " : epilogue.residual ? "residual, " : ""
            text += " epilogue(\(residual)\(epilogue.activation))"
        }
        return text
    }

    let url: URL
    let machine: String
    private let lock = NSLock()
    private var known: [String: String] = [:]

    init(url: URL, machine: String) {
        self.url = url
        self.machine = machine
        known = read()[machine] ?? [:]
    }

    private func read() -> [String: [String: String]] {
        guard let data = try? Data(contentsOf: url),
            let all = try? JSONDecoder().decode([String: [String: String]].self, from: data)
        else { return [:] }
        return all
    }

    func algorithm(for key: String) -> ConvolutionAlgorithm? {
        lock.withLock { known[key].flatMap(ConvolutionAlgorithm.init(rawValue:)) }
    }

    /// Records `choice` unless the file already has one for `key`, and returns the one kept.
    /// A file that cannot be written leaves the choice to this process alone.
    func keep(_ choice: ConvolutionAlgorithm, for key: String) -> ConvolutionAlgorithm {
        lock.withLock {
            var all = read()
            var mine = all[machine] ?? [:]
            if let existing = mine[key].flatMap(ConvolutionAlgorithm.init(rawValue:)) {
                known = mine
                return existing
            }
            mine[key] = choice.rawValue
            all[machine] = mine
            known = mine
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            if let data = try? encoder.encode(all) {
                try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try? data.write(to: url, options: .atomic)
            }
            return choice
        }
    }
}
