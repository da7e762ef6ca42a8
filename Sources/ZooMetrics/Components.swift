// Connected components of a binary mask: by default 26-connectivity in 3D (faces, edges and
// corners), 8-connectivity in 2D; `neighbourSteps` 1 gives 6 (4 in 2D), 2 gives 18. An
// iterative flood fill with an explicit stack, so a large tumour cannot overflow the call
// stack.

/// The connected components of a mask.
public struct ConnectedComponents: Sendable {
    /// Per voxel: 0 for background, else the component number 1...count, numbered in
    /// row-major order of each component's first voxel.
    public let labels: [Int]
    /// Voxel count of each component; `sizes[k - 1]` is the size of component k.
    public let sizes: [Int]
    /// Number of components.
    public var count: Int { sizes.count }

    /// Labels the components of the foreground (non-zero labels) of `map`, or of one class.
    /// `neighbourSteps`: how many axes a neighbour may differ on (1: faces, 2: faces and
    /// edges, 3: all 26 in 3D and all 8 in 2D).
    public init(_ map: LabelMap, label: Int? = nil, neighbourSteps: Int = 3) {
        self.init(mask: map.mask(label), volumeShape: map.volumeShape, neighbourSteps: neighbourSteps)
    }

    init(mask: [Bool], volumeShape: (d: Int, h: Int, w: Int), neighbourSteps: Int = 3) {
        let (d, h, w) = volumeShape
        var labels = [Int](repeating: 0, count: mask.count)
        var sizes = [Int]()
        var stack = [Int]()
        // With a depth of 1 (2D) the dz loop collapses to 0 and this is 8-connectivity.
        let dzRange = d > 1 ? -1...1 : 0...0
        for seed in mask.indices where mask[seed] && labels[seed] == 0 {
            let component = sizes.count + 1
            labels[seed] = component
            stack.append(seed)
            var size = 0
            while let index = stack.popLast() {
                size += 1
                let z = index / (h * w)
                let y = (index / w) % h
                let x = index % w
                for dz in dzRange {
                    let nz = z + dz
                    guard nz >= 0, nz < d else { continue }
                    for dy in -1...1 {
                        let ny = y + dy
                        guard ny >= 0, ny < h else { continue }
                        for dx in -1...1 {
                            let nx = x + dx
                            guard nx >= 0, nx < w, abs(dz) + abs(dy) + abs(dx) <= neighbourSteps else { continue }
                            let neighbour = (nz * h + ny) * w + nx
                            if mask[neighbour], labels[neighbour] == 0 {
                                labels[neighbour] = component
                                stack.append(neighbour)
                            }
                        }
                    }
                }
            }
            sizes.append(size)
        }
        self.labels = labels
        self.sizes = sizes
    }
}
