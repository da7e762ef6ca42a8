import CDNNL
import Foundation

/// How each convolution is computed, chosen per shape as cuDNN's benchmark mode does.
///
/// Two algorithms compute every convolution pass (forward, data gradient, kernel gradient), 2D
/// and 3D: Zoo's own im2col + SGEMM (`ConvKernels.swift`) and oneDNN's direct kernels on the
/// same channels-last activations, with the kernel reordered into oneDNN's blocked layout on
/// each call (the kernel changes every training step). Neither wins everywhere: oneDNN's
/// AVX-512 brgemm kernels run near the FMA limit where Zoo's im2col pays for its copies, while
/// on AVX2 machines its GEMM-based fallbacks can lose to Zoo's split of the product. So the
/// first call of a (pass, shape) times both and every later call in the process takes the
/// winner. The timed call's output is always the winner's, so each shape's results come from
/// one algorithm throughout a process.
///
/// `ZOO_CONV_ALGORITHM=im2col|onednn` forces one (tests, comparisons); `auto` (or unset) times.
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    case im2col
    case onednn

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
        /// Seconds of the timed calls (nil when the algorithm was forced or oneDNN was not a candidate).
        public let im2colSeconds: Double?
        public let onednnSeconds: Double?
    }

    /// `ZOO_CONV_ALGORITHM`: nil times both (auto). An unknown value stops the process with the
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

    /// Whether oneDNN's CPU engine could be created.
    public static var onednnAvailable: Bool { zoo_dnnl_available() != 0 }

    /// oneDNN's version, e.g. `2.6.3`.
    public static var onednnVersion: String {
        var (major, minor, patch): (Int32, Int32, Int32) = (0, 0, 0)
        zoo_dnnl_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Every choice made so far in this process, in the order the shapes were first seen.
    public static var choices: [Choice] { ConvolutionPlans.shared.choices() }

    /// Runs `body` with every convolution computed by `algorithm` (nil: by each shape's timed
    /// plan), for tests and side-by-side comparisons. Not for concurrent use: the setting is
    /// the process's while `body` runs. With `.onednn`, a shape oneDNN refuses still runs on
    /// im2col; `onednnRefusals` says which.
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

    init(pass: ConvolutionAlgorithm.Pass, geometry g: ConvGeometry, withBias: Bool) throws(TensorError) {
        var description = zoo_dnnl_geometry()
        description.spatial_dims = g.input[0] == 1 && g.kernel[0] == 1 && g.output[0] == 1 ? 2 : 3
        description.batch = Int32(g.batch)
        description.in_channels = Int32(g.inChannels)
        description.out_channels = Int32(g.outChannels)
        description.with_bias = withBias ? 1 : 0
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

    /// Runs the pass; see `zoo_dnnl_execute` for what `a`, `b` and `out` are per pass.
    func execute(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        var error = [CChar](repeating: 0, count: 256)
        let status = zoo_dnnl_execute(handle, Int32(Parallel.threadCount), a, b, bias, out, &error, error.count)
        // A primitive that was created runs; a failure here is a bug or an exhausted machine.
        if status != 0 { fatalError("ZooTensor: \(String(cString: error))") }
    }
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
    }

    struct Plan {
        let algorithm: ConvolutionAlgorithm
        let onednn: OneDNNConvolution?
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

    /// Runs `pass` by the plan for its shape, deciding (and timing) on the first call. `im2col`
    /// and `onednn` each compute the whole pass into the output.
    func run(
        _ pass: ConvolutionAlgorithm.Pass, _ g: ConvGeometry, withBias: Bool = false,
        im2col: () -> Void, onednn: (OneDNNConvolution) -> Void
    ) {
        let key = Key(pass: pass, geometry: g, withBias: withBias)
        if let algorithm = Self.override {
            if algorithm == .onednn, case .success(let primitive) = primitive(for: key) { onednn(primitive) } else { im2col() }
            return
        }
        if let plan = lock.withLock({ plans[key] }) {
            if let primitive = plan.onednn, plan.algorithm == .onednn { onednn(primitive) } else { im2col() }
            return
        }
        let plan = decide(key, im2col: im2col, onednn: onednn)
        lock.withLock { plans[key] = plans[key] ?? plan }
    }

    /// oneDNN's primitive for `key`, created on first use.
    func primitive(for key: Key) -> Result<OneDNNConvolution, TensorError> {
        if let known = lock.withLock({ primitives[key] }) { return known }
        let created = Result { () throws(TensorError) in
            try OneDNNConvolution(pass: key.pass, geometry: key.geometry, withBias: key.withBias)
        }
        return lock.withLock {
            if let known = primitives[key] { return known }
            primitives[key] = created
            return created
        }
    }

    private func decide(_ key: Key, im2col: () -> Void, onednn: (OneDNNConvolution) -> Void) -> Plan {
        let g = key.geometry
        let shape = "b\(g.batch) \(g.input) x\(g.inChannels) k\(g.kernel) -> \(g.output) x\(g.outChannels)"
            + " s\(g.strides) d\(g.dilations)"
        func record(_ algorithm: ConvolutionAlgorithm, _ implementation: String, _ times: (Double, Double)? = nil) {
            lock.withLock {
                decided.append(ConvolutionAlgorithm.Choice(
                    pass: key.pass, shape: shape, algorithm: algorithm, onednnImplementation: implementation,
                    im2colSeconds: times?.0, onednnSeconds: times?.1))
            }
        }
        if ConvolutionAlgorithm.forced == .im2col {
            im2col()
            record(.im2col, "not tried: ZOO_CONV_ALGORITHM=im2col")
            return Plan(algorithm: .im2col, onednn: nil)
        }
        let primitive: OneDNNConvolution
        switch self.primitive(for: key) {
        case .success(let created): primitive = created
        case .failure(let error):
            // oneDNN refuses a few geometries (it says which step failed); im2col computes all.
            im2col()
            record(.im2col, "not a candidate: \(error.message)")
            return Plan(algorithm: .im2col, onednn: nil)
        }
        if ConvolutionAlgorithm.forced == .onednn {
            onednn(primitive)
            record(.onednn, primitive.implementation)
            return Plan(algorithm: .onednn, onednn: primitive)
        }
        // oneDNN's first call touches its buffers; the second is the one timed.
        onednn(primitive)
        let im2colTime = seconds(im2col)
        let onednnTime = seconds { onednn(primitive) }
        let winner: ConvolutionAlgorithm = onednnTime < im2colTime ? .onednn : .im2col
        if winner == .im2col { im2col() }
        record(winner, primitive.implementation, (im2colTime, onednnTime))
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
    /// y = conv(x, w) (+ bias), then the epilogue, when given, on the whole output.
    func forward(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        epilogue: OutputEpilogue? = nil
    ) {
        ConvolutionPlans.shared.run(
            .forward, self, withBias: bias != nil,
            im2col: { im2colForward(x, w, bias: bias, into: y, epilogue: epilogue) },
            onednn: { primitive in
                primitive.execute(x, w, bias: bias, into: y)
                if let epilogue {
                    let n = outChannels
                    Parallel.ranges(rows, grain: Swift.max(1, elementGrain / n)) { range in epilogue.apply(y, rows: range, channels: n) }
                }
            })
    }

    /// dx = the adjoint of the convolution applied to dy.
    func backwardData(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        ConvolutionPlans.shared.run(
            .backwardData, self, im2col: { im2colBackwardData(dy, w, into: dx) },
            onednn: { $0.execute(dy, w, bias: nil, into: dx) })
    }

    /// dw = the kernel gradient of the convolution from its input x and output gradient dy.
    func backwardFilter(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        ConvolutionPlans.shared.run(
            .backwardWeights, self, im2col: { im2colBackwardFilter(x, dy, into: dw) },
            onednn: { $0.execute(x, dy, bias: nil, into: dw) })
    }
}
