import Foundation
import ZooTensor

// The functional graph: Keras's functional API, the one model representation of Zoo.
//
// `let x = Input(shape: [224, 224, 3])` gives a symbolic tensor; calling a layer (or a model)
// on symbolic tensors records a `GraphNode` and returns its symbolic outputs, their shapes
// worked out by the layer (`computeOutputShape`), so a wrong channel count is an error at
// construction that names the layer. `Model(inputs:outputs:)` takes the part of the graph
// between them as a `FunctionalGraph`: its layers in Keras's `model.layers` order, and a plan
// that runs the nodes and drops every intermediate after its last consumer.

/// A tensor of a model under construction (Keras's `KerasTensor`): one output of one call of
/// a layer or a model. It holds a shape, not values.
public final class SymbolicTensor: CustomStringConvertible {
    /// The shape without the batch axis; nil extents are known only at run time. The last
    /// (channel) extent is always known.
    public let shape: [Int?]
    /// The call that computes it.
    public let node: GraphNode
    /// Which of the call's outputs it is.
    public let outputIndex: Int

    init(shape: [Int?], node: GraphNode, outputIndex: Int) {
        self.shape = shape
        self.node = node
        self.outputIndex = outputIndex
    }

    /// The channel (last) extent.
    public var channels: Int { shape.last.flatMap { $0 } ?? 0 }

    /// The spatial extents (every axis but the channels).
    public var spatial: [Int?] { Array(shape.dropLast()) }

    public var description: String { "\(node.operation.name)\(SymbolicTensor.describe(shape))" }

    /// `(batch, 224, 224, 3)`, with `None` for unknown extents, as Keras prints shapes.
    public static func describe(_ shape: [Int?]) -> String {
        "(" + (["None"] + shape.map { $0.map(String.init) ?? "None" }).joined(separator: ", ") + ")"
    }
}

/// One call of a layer or a model on symbolic tensors (Keras's `Node`).
public final class GraphNode {
    /// What runs: a `Layer`, or a `Model` called as one layer.
    public let operation: Module
    /// The tensors it was called on, in argument order; empty for an input layer.
    public let inputs: [SymbolicTensor]
    /// The shapes of its outputs, batch excluded.
    public let outputShapes: [[Int?]]
    /// Its outputs, built once (the node does not hold them: a tensor holds its node).
    public var outputs: [SymbolicTensor] {
        outputShapes.indices.map { SymbolicTensor(shape: outputShapes[$0], node: self, outputIndex: $0) }
    }

    /// Records a call. Every output must have a known channel extent.
    public init(operation: Module, inputs: [SymbolicTensor], outputShapes: [[Int?]]) throws {
        for shape in outputShapes where shape.last.flatMap({ $0 }) == nil {
            throw LayerError(layer: operation.name, "the output \(SymbolicTensor.describe(shape)) has no known channel count")
        }
        self.operation = operation
        self.inputs = inputs
        self.outputShapes = outputShapes
    }

    /// Whether it is an input layer's node (a source of the graph).
    public var isInput: Bool { inputs.isEmpty }
}

extension Layer {
    /// Records this layer called on `input` and returns its symbolic output.
    public func callAsFunction(_ input: SymbolicTensor) throws -> SymbolicTensor {
        try callAsFunction([input])
    }

    /// Records this layer called on `inputs` (Add, Concatenate) and returns its symbolic output.
    /// A shape the layer cannot take is an error naming the layer and the shapes.
    public func callAsFunction(_ inputs: [SymbolicTensor]) throws -> SymbolicTensor {
        let shapes = inputs.map(\.shape)
        let output: [Int?]
        do {
            output = try computeOutputShape(inputs: shapes)
        } catch let error as LayerError {
            throw error
        } catch {
            throw LayerError(layer: name, "\(kerasClassName) on input \(shapes.map(SymbolicTensor.describe)): \(error)")
        }
        return try GraphNode(operation: self, inputs: inputs, outputShapes: [output]).outputs[0]
    }
}

/// The part of a graph between a model's inputs and outputs: its nodes in an order that runs
/// each after its inputs, its layers in Keras's order, and when each intermediate may go.
public final class FunctionalGraph {
    public let inputs: [SymbolicTensor]
    public let outputs: [SymbolicTensor]
    /// The nodes in running order (a depth-first walk back from the outputs, post-order).
    public let nodes: [GraphNode]
    /// The layers and nested models in Keras's `model.layers` order (input layers included).
    public let operations: [Module]

    /// Where each node's inputs and outputs live while the graph runs, and which slots are
    /// released after it: an intermediate goes once its last consumer has run.
    private let inputSlots: [[Int]]
    private let outputSlots: [[Int]]
    private let releasedAfter: [[Int]]
    private let feedIndex: [Int?]
    private let resultSlots: [Int]
    private let slotCount: Int

    /// Inference rewrites: at a fusing layer's position, the positions of the followers its
    /// output pass takes and the slot of a sum's other input.
    struct Fusion {
        let followers: [Int]
        let residualSlot: Int?
        /// Whether the chain's sum is the last reader of the residual.
        var residualDiesInChain = false
    }
    private let fusions: [Int: Fusion]
    /// Inference rewrites: the positions of the channel joins (which may take the parts of a
    /// join before them as their inputs), and of those among them whose output is read only by
    /// `JoinReading` fusion heads and by other joins, which therefore need not be made.
    private let channelJoins: Set<Int>
    private let deferredJoins: Set<Int>
    /// Inference rewrites: at a `PaddingTaking` fusion head's position, the position of the zero
    /// padding before it that it takes (read by nothing else).
    private let takenPaddings: [Int: Int]
    /// Whether inference runs fuse layers into convolutions' output passes: on, unless the
    /// environment sets `ZOO_INFERENCE_REWRITES=0` (to measure them, or to rule them out).
    public static let inferenceRewrites: Bool = {
        guard let value = getenv("ZOO_INFERENCE_REWRITES") else { return true }
        return String(cString: value) != "0"
    }()

    /// How many chains the last run fused (inference rewrites taken), for tests and benchmarks.
    public private(set) var fusedChainsInLastRun = 0
    /// How many channel joins the last run left unmade (their readers took the parts).
    public private(set) var deferredJoinsInLastRun = 0
    /// How many zero paddings the last run left to the convolutions after them.
    public private(set) var paddingsTakenInLastRun = 0

    /// Takes the graph from `inputs` to `outputs`. Every input must be an input layer's output
    /// (`Input(shape:)`), and every input layer the outputs depend on must be among them.
    public init(inputs: [SymbolicTensor], outputs: [SymbolicTensor], model: String) throws {
        guard !inputs.isEmpty, !outputs.isEmpty else {
            throw ModelError("model '\(model)': a model needs at least one input and one output")
        }
        for input in inputs where !input.node.isInput {
            throw ModelError("model '\(model)': input \(input) is not an Input(shape:) tensor")
        }
        self.inputs = inputs
        self.outputs = outputs

        // Keras's walk (keras/src/ops/function.py, `map_graph`): depth first from each output,
        // inputs in argument order; an operation's index is the order the walk first meets it,
        // a node is listed once all its inputs are (post-order).
        var operationIndex = [ObjectIdentifier: Int]()
        var operationsSeen = [Module]()
        var finished = Set<ObjectIdentifier>()
        var postOrder = [GraphNode]()
        for output in outputs {
            var stack: [(node: GraphNode, next: Int)] = []
            if !finished.contains(ObjectIdentifier(output.node)) { stack.append((output.node, 0)) }
            while let (node, next) = stack.last {
                if next == 0, operationIndex[ObjectIdentifier(node.operation)] == nil {
                    operationIndex[ObjectIdentifier(node.operation)] = operationsSeen.count
                    operationsSeen.append(node.operation)
                }
                if next < node.inputs.count {
                    stack[stack.count - 1].next += 1
                    let parent = node.inputs[next].node
                    if !finished.contains(ObjectIdentifier(parent)) {
                        guard !stack.contains(where: { $0.node === parent }) else {
                            throw ModelError("model '\(model)': the graph has a cycle through '\(parent.operation.name)'")
                        }
                        stack.append((parent, 0))
                    }
                } else {
                    stack.removeLast()
                    finished.insert(ObjectIdentifier(node))
                    postOrder.append(node)
                }
            }
        }
        let inputNodes = inputs.map { ObjectIdentifier($0.node) }
        for node in postOrder where node.isInput && !inputNodes.contains(ObjectIdentifier(node)) {
            throw ModelError(
                "model '\(model)': the outputs depend on input '\(node.operation.name)', which is not among the model's inputs")
        }
        nodes = postOrder

        // Depth: the longest path to an output; an operation called several times takes its
        // deepest node's. Layers by decreasing depth, ties in the order the walk met them.
        var nodeDepth = [ObjectIdentifier: Int]()
        var operationDepth = [ObjectIdentifier: Int]()
        for node in postOrder.reversed() {
            let id = ObjectIdentifier(node)
            let depth = Swift.max(nodeDepth[id, default: 0], operationDepth[ObjectIdentifier(node.operation), default: 0])
            operationDepth[ObjectIdentifier(node.operation)] = depth
            nodeDepth[id] = depth
            for input in node.inputs {
                let parent = ObjectIdentifier(input.node)
                nodeDepth[parent] = Swift.max(nodeDepth[parent, default: 0], depth + 1)
            }
        }
        operations = operationsSeen.sorted { a, b in
            let (depthA, depthB) = (operationDepth[ObjectIdentifier(a)]!, operationDepth[ObjectIdentifier(b)]!)
            return depthA != depthB ? depthA > depthB : operationIndex[ObjectIdentifier(a)]! < operationIndex[ObjectIdentifier(b)]!
        }

        // Slots: one per node output; a slot is released after the last node that reads it,
        // unless it is one of the model's outputs.
        var slotOf = [ObjectIdentifier: Int]()
        var outputSlots = [[Int]]()
        var slotCount = 0
        for node in postOrder {
            slotOf[ObjectIdentifier(node)] = slotCount
            outputSlots.append(Array(slotCount..<(slotCount + node.outputShapes.count)))
            slotCount += node.outputShapes.count
        }
        func slot(_ tensor: SymbolicTensor) -> Int { slotOf[ObjectIdentifier(tensor.node)]! + tensor.outputIndex }
        let inputSlots = postOrder.map { $0.inputs.map(slot) }
        let resultSlots = outputs.map(slot)
        var lastUse = [Int: Int]()
        for (position, slots) in inputSlots.enumerated() {
            for slot in slots { lastUse[slot] = position }
        }
        var releasedAfter = [[Int]](repeating: [], count: postOrder.count)
        for (slot, position) in lastUse where !resultSlots.contains(slot) { releasedAfter[position].append(slot) }
        self.inputSlots = inputSlots
        self.outputSlots = outputSlots
        self.releasedAfter = releasedAfter
        self.resultSlots = resultSlots
        self.slotCount = slotCount
        feedIndex = postOrder.map { node in inputs.firstIndex { $0.node === node } }
        var fusions = FunctionalGraph.fusions(postOrder, inputSlots: inputSlots, outputSlots: outputSlots, resultSlots: resultSlots)
        for (position, fusion) in fusions {
            guard let slot = fusion.residualSlot else { continue }
            fusions[position]?.residualDiesInChain = fusion.followers.contains { releasedAfter[$0].contains(slot) }
        }
        self.fusions = fusions
        let channelJoins = Set(postOrder.indices.filter { position in
            let node = postOrder[position]
            guard let join = node.operation as? ChannelJoining, !node.isInput, node.outputShapes.count == 1 else { return false }
            return join.joinsLastAxis(rank: node.outputShapes[0].count + 1)
        })
        self.channelJoins = channelJoins
        deferredJoins = FunctionalGraph.deferredJoins(
            postOrder, channelJoins: channelJoins, inputSlots: inputSlots, outputSlots: outputSlots,
            resultSlots: resultSlots, fusions: fusions)
        takenPaddings = FunctionalGraph.takenPaddings(
            postOrder, inputSlots: inputSlots, outputSlots: outputSlots, resultSlots: resultSlots, fusions: fusions)
    }

    /// The shapes the inputs take and the outputs give, batch excluded.
    public var inputShapes: [[Int?]] { inputs.map(\.shape) }
    public var outputShapes: [[Int?]] { outputs.map(\.shape) }

    /// Runs the graph on one tensor per input; returns one tensor per output.
    public func run(_ values: [Tensor], model: String) throws -> [Tensor] {
        guard values.count == inputs.count else {
            throw LayerError(layer: model, "takes \(inputs.count) input(s), got \(values.count)")
        }
        var slots = [Tensor?](repeating: nil, count: slotCount)
        // Inference rewrites only where nothing watches the layers one by one: no gradient
        // recorded, no hook (Grad-CAM), no shape trace.
        let fusing = FunctionalGraph.inferenceRewrites && !fusions.isEmpty && !GradMode.isEnabled && !LayerHooks.isActive
            && !ShapeTrace.isActive
        var skipped = Set<Int>()
        fusedChainsInLastRun = 0
        deferredJoinsInLastRun = 0
        paddingsTakenInLastRun = 0
        let paddingsTaken = fusing ? Set(takenPaddings.values) : []
        // The parts of each deferred join, by its slot; the join is made only for a reader that
        // cannot take parts after all (a normalization in training state).
        var joinParts = [Int: [Tensor]]()
        func value(_ slot: Int) throws -> Tensor {
            if let value = slots[slot] { return value }
            let made = try Tensor.concatenate(joinParts[slot]!, axis: -1)
            slots[slot] = made
            joinParts[slot] = nil
            return made
        }
        /// Runs the chain at `position` through `call` (its followers, the residual, whether the
        /// residual is free); false when the head declines, the residual back in its slot.
        func runChain(
            _ position: Int, _ fusion: Fusion, _ call: ([Layer], Tensor?, Bool) throws -> Tensor?
        ) throws -> Bool {
            // A residual read by nothing after the chain leaves its slot for the call, and is
            // free when nothing else holds it (the caller's inputs, a layer's argument list).
            var residual = fusion.residualSlot.flatMap { slots[$0] }
            if let slot = fusion.residualSlot, fusion.residualDiesInChain { slots[slot] = nil }
            let residualIsFree = fusion.residualDiesInChain && isKnownUniquelyReferenced(&residual)
                && residual?.ownsMemoryAlone == true
            guard let output = try call(fusion.followers.compactMap { nodes[$0].operation as? Layer }, residual, residualIsFree) else {
                // Not fused after all: the layers run one by one, the sum reads its input again.
                if let slot = fusion.residualSlot { slots[slot] = residual }
                return false
            }
            slots[outputSlots[fusion.followers.last ?? position][0]] = output
            skipped.formUnion(fusion.followers)
            fusedChainsInLastRun += 1
            return true
        }
        for (position, node) in nodes.enumerated() {
            defer {
                for slot in releasedAfter[position] {
                    slots[slot] = nil
                    joinParts[slot] = nil
                }
            }
            if skipped.contains(position) { continue }
            if fusing, paddingsTaken.contains(position) {
                // The head after it pads as it convolves: its input slot holds the unpadded tensor.
                slots[outputSlots[position][0]] = try value(inputSlots[position][0])
                continue
            }
            if fusing, let fusion = fusions[position], let head = node.operation as? JoinReading,
                let parts = joinParts[inputSlots[position][0]],
                try runChain(position, fusion, { followers, _, _ in try head.fusedForward(joining: parts, followers: followers) })
            {
                continue
            }
            var arguments: [Tensor]
            if let feed = feedIndex[position] {
                arguments = [values[feed]]
            } else if fusing, channelJoins.contains(position) {
                // A join of joins takes their parts: each part is copied once, if at all.
                arguments = inputSlots[position].flatMap { joinParts[$0] ?? [slots[$0]!] }
                let leading = arguments[0].shape.dropLast()
                // Parts that do not fit go to the layer, which says why.
                if deferredJoins.contains(position), arguments.allSatisfy({ $0.rank >= 2 && $0.shape.dropLast() == leading }) {
                    joinParts[outputSlots[position][0]] = arguments
                    deferredJoinsInLastRun += 1
                    continue
                }
            } else {
                arguments = try inputSlots[position].map(value)
            }
            if fusing, let padding = takenPaddings[position] {
                let pad = nodes[padding].operation as! SpatialZeroPadding
                if let fusion = fusions[position], let head = node.operation as? PaddingTaking,
                    try runChain(position, fusion, { followers, residual, residualIsFree in
                        try head.fusedForward(
                            arguments[0], taking: pad.padding, followers: followers, residual: residual, residualIsFree: residualIsFree)
                    })
                {
                    paddingsTakenInLastRun += 1
                    continue
                }
                // Not taken after all: the padding is made, and the layers run as usual.
                arguments = try FunctionalGraph.call(pad, arguments)
            }
            if fusing, let fusion = fusions[position], let head = node.operation as? OutputFusing,
                try runChain(position, fusion, { followers, residual, residualIsFree in
                    try head.fusedForward(arguments[0], followers: followers, residual: residual, residualIsFree: residualIsFree)
                })
            {
                continue
            }
            let results = try FunctionalGraph.call(node.operation, arguments)
            guard results.count == outputSlots[position].count else {
                throw LayerError(layer: node.operation.name, "gave \(results.count) outputs, expected \(outputSlots[position].count)")
            }
            for (slot, result) in zip(outputSlots[position], results) { slots[slot] = result }
        }
        return try resultSlots.map(value)
    }

    /// Calls a layer or a nested model on tensors.
    static func call(_ operation: Module, _ arguments: [Tensor]) throws -> [Tensor] {
        if let layer = operation as? Layer { return [try layer(arguments)] }
        if let model = operation as? Model { return try model(arguments) }
        throw LayerError(layer: operation.name, "is neither a layer nor a model")
    }
}
