import ZooCore

/// Which layer feeds which, recorded while a network is built, so that the layers can be
/// added in the order Keras's functional `model.layers` lists them: by decreasing depth (the
/// longest path to an output), ties broken by the order a depth-first walk back from the
/// outputs first meets them (keras/src/ops/function.py, `map_graph`). Creation order is not
/// that order once branches run in parallel (U-Net++'s nested nodes, ResNet's shortcut).
public struct KerasLayerOrder {
    public private(set) var layers: [Layer] = []
    private var inbound: [[Int]] = []

    public init() {}

    /// Records `layer` fed by the outputs of the recorded layers `inputs`; returns its index.
    @discardableResult
    public mutating func record(_ layer: Layer, _ inputs: [Int]) -> Int {
        layers.append(layer)
        inbound.append(inputs)
        return layers.count - 1
    }

    /// Records a chain of single-input layers fed by `input`; returns the last one's index.
    public mutating func chain(_ chain: [Layer], from input: Int) -> Int {
        chain.reduce(input) { record($1, [$0]) }
    }

    /// The recorded layers in Keras's order for a model with these outputs.
    public func ordered(outputs: [Int]) -> [Layer] {
        var firstSeen = [Int: Int]()
        var finished = Set<Int>()
        var postOrder = [Int]()
        // Iterative form of Keras's recursive walk: pre-order indices, post-order list.
        for output in outputs {
            var stack: [(node: Int, next: Int)] = []
            if !finished.contains(output) { stack.append((output, 0)) }
            while let (node, next) = stack.last {
                if next == 0, firstSeen[node] == nil { firstSeen[node] = firstSeen.count }
                if next < inbound[node].count {
                    stack[stack.count - 1].next += 1
                    let parent = inbound[node][next]
                    if !finished.contains(parent) { stack.append((parent, 0)) }
                } else {
                    stack.removeLast()
                    finished.insert(node)
                    postOrder.append(node)
                }
            }
        }
        var depth = [Int: Int]()
        for node in postOrder.reversed() {
            let own = depth[node, default: 0]
            depth[node] = own
            for parent in inbound[node] { depth[parent] = Swift.max(depth[parent, default: 0], own + 1) }
        }
        return postOrder.sorted { a, b in
            depth[a]! != depth[b]! ? depth[a]! > depth[b]! : firstSeen[a]! < firstSeen[b]!
        }.map { layers[$0] }
    }
}
