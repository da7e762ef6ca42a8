// The inference rewrites of a functional graph: what a layer declares it can take over (the
// protocols), and where in a graph each rewrite applies (found once, when the graph is built).
// `FunctionalGraph.run` carries them out where nothing watches the layers one by one.
import ZooTensor

/// A layer whose output pass can take the layers after it in inference (a convolution: the
/// batch normalization, the residual sum and the activation that follow it), so that they cost
/// no pass of their own over its output. The graph finds the chains; the layer decides.
public protocol OutputFusing: Layer {
    /// Whether `follower`, fed by this layer or by the last of `fused` alone (or, for a sum, by
    /// that and one tensor computed earlier), can join the output pass after `fused`.
    func canFuse(_ follower: Layer, after fused: [Layer]) -> Bool
    /// This layer on `input` with `followers` in its output pass; `residual` is the other
    /// input of the sum among them. Nil when the layers' present state does not allow it
    /// (a batch normalization in training), and the graph runs them one by one.
    /// `residualIsFree`: nothing but this call holds `residual` or reads it later, so the
    /// result may be written over its memory.
    func fusedForward(_ input: Tensor, followers: [Layer], residual: Tensor?, residualIsFree: Bool) throws -> Tensor?
}

/// A layer that joins its inputs along their last axis and does nothing else (Keras's
/// `Concatenate` on the channel axis). In inference the graph may defer the join: it keeps the
/// parts, and a `JoinReading` consumer reads them where they lie (see `FunctionalGraph.run`).
public protocol ChannelJoining: Layer {
    /// Whether this layer joins rank-`rank` tensors (batch included) along their last axis.
    func joinsLastAxis(rank: Int) -> Bool
}

/// A fusing layer whose output pass can read its input as the parts of a channel join that
/// was never made (a batch normalization: DenseNet's pre-activation after each concatenation).
public protocol JoinReading: OutputFusing {
    /// `fusedForward` on the join of `parts` along the last axis; nil where the layer's present
    /// state does not allow it, and the graph makes the join and runs the layers as usual.
    func fusedForward(joining parts: [Tensor], followers: [Layer]) throws -> Tensor?
}

/// A layer that only pads its input's spatial axes with zeros (Keras's `ZeroPadding2D/3D`).
public protocol SpatialZeroPadding: Layer {
    /// One (before, after) pair per spatial axis.
    var padding: [(before: Int, after: Int)] { get }
}

/// A fusing layer that can take the zero padding before it into its own windowing (a
/// convolution whose own padding is `valid` or explicit): in inference the graph skips a padding
/// layer that only this layer reads, and no padded copy of the input is made.
public protocol PaddingTaking: OutputFusing {
    /// Whether `padding` (one (before, after) pair per spatial axis) can join this layer's own.
    func canTake(padding: [(before: Int, after: Int)]) -> Bool
    /// `fusedForward` on `input` padded by `padding`, without the padded copy; nil where the
    /// followers' present state does not allow it, and the graph pads and runs the layers as usual.
    func fusedForward(
        _ input: Tensor, taking padding: [(before: Int, after: Int)], followers: [Layer], residual: Tensor?, residualIsFree: Bool
    ) throws -> Tensor?
}

extension FunctionalGraph {
    /// The zero paddings a fusion head takes: the padding's output read by that head alone, and
    /// the head able to add the padding to its own.
    static func takenPaddings(
        _ nodes: [GraphNode], inputSlots: [[Int]], outputSlots: [[Int]], resultSlots: [Int], fusions: [Int: Fusion]
    ) -> [Int: Int] {
        var readers = [Int: Int]()
        for slots in inputSlots {
            for slot in slots { readers[slot, default: 0] += 1 }
        }
        let producer = Dictionary(uniqueKeysWithValues: outputSlots.enumerated().flatMap { position, slots in slots.map { ($0, position) } })
        var taken = [Int: Int]()
        for position in fusions.keys {
            guard let head = nodes[position].operation as? PaddingTaking, inputSlots[position].count == 1 else { continue }
            let slot = inputSlots[position][0]
            guard let padding = producer[slot], !nodes[padding].isInput, let pad = nodes[padding].operation as? SpatialZeroPadding,
                inputSlots[padding].count == 1, readers[slot] == 1, !resultSlots.contains(slot), head.canTake(padding: pad.padding)
            else { continue }
            taken[position] = padding
        }
        return taken
    }

    /// The channel joins whose every reader takes parts: a `JoinReading` fusion head that reads
    /// nothing else, or another channel join.
    static func deferredJoins(
        _ nodes: [GraphNode], channelJoins: Set<Int>, inputSlots: [[Int]], outputSlots: [[Int]], resultSlots: [Int],
        fusions: [Int: Fusion]
    ) -> Set<Int> {
        var readers = [Int: [Int]]()
        for (position, slots) in inputSlots.enumerated() {
            for slot in slots { readers[slot, default: []].append(position) }
        }
        return channelJoins.filter { position in
            let slot = outputSlots[position][0]
            guard !resultSlots.contains(slot), let consumers = readers[slot] else { return false }
            return consumers.allSatisfy { reader in
                channelJoins.contains(reader)
                    || fusions[reader] != nil && nodes[reader].operation is JoinReading && inputSlots[reader] == [slot]
            }
        }
    }

    /// The chains an `OutputFusing` layer can take: each follower the only consumer of the
    /// chain's output so far (a sum's other input computed before the chain starts), none a
    /// model output on the way.
    static func fusions(
        _ nodes: [GraphNode], inputSlots: [[Int]], outputSlots: [[Int]], resultSlots: [Int]
    ) -> [Int: Fusion] {
        var consumers = [Int: [Int]]()
        for (position, slots) in inputSlots.enumerated() {
            for slot in Set(slots) { consumers[slot, default: []].append(position) }
        }
        let producer = Dictionary(uniqueKeysWithValues: outputSlots.enumerated().flatMap { position, slots in slots.map { ($0, position) } })
        var result = [Int: Fusion]()
        var taken = Set<Int>()
        for (position, node) in nodes.enumerated() where !taken.contains(position) {
            guard let head = node.operation as? OutputFusing, !node.isInput, outputSlots[position].count == 1 else { continue }
            var chain = [Layer]()
            var followers = [Int]()
            var residualSlot: Int?
            var tail = outputSlots[position][0]
            while !resultSlots.contains(tail), let next = consumers[tail], next.count == 1, let follower = nodes[next[0]].operation as? Layer,
                outputSlots[next[0]].count == 1, !taken.contains(next[0])
            {
                let others = inputSlots[next[0]].filter { $0 != tail }
                guard inputSlots[next[0]].filter({ $0 == tail }).count == 1, others.count <= 1 else { break }
                if let other = others.first {
                    // The sum's other input must exist before the chain runs.
                    guard residualSlot == nil, let made = producer[other], made < position else { break }
                }
                guard head.canFuse(follower, after: chain) else { break }
                if let other = others.first { residualSlot = other }
                chain.append(follower)
                followers.append(next[0])
                tail = outputSlots[next[0]][0]
            }
            result[position] = Fusion(followers: followers, residualSlot: residualSlot)
            taken.formUnion(followers)
        }
        return result
    }
}
