import ZooTensor

/// The scope in which a model is created: the generator its new weights are drawn from, and
/// the counters of Keras's automatic layer names.
///
/// Build a model inside `BuildContext.run(seed:_:)` and its weights depend only on the seed
/// and on the order its layers are created (fixed by the architecture), and unnamed layers are
/// named as a freshly started Keras program names them: `conv2d`, `conv2d_1`, ... Outside any
/// scope, layers use a per-thread context seeded with 0 whose counters never reset.
public final class BuildContext {
    private static let current = ThreadLocal<BuildContext>()
    private static let fallback = ThreadLocal<BuildContext>()
    var random: RandomGenerator
    private var nameCounts: [String: Int] = [:]

    private init(seed: UInt64) { random = RandomGenerator(seed: seed) }

    /// Runs `build` in a fresh context seeded with `seed`.
    public static func run<R>(seed: UInt64, _ build: () throws -> R) rethrows -> R {
        try current.with(BuildContext(seed: seed)) { try build() }
    }

    /// Runs `build` with the automatic-name counters started afresh and the current weight
    /// generator carried through: an architecture names its layers as a freshly started Keras
    /// program would, whatever was built before it.
    public static func freshNames<R>(_ build: () throws -> R) rethrows -> R {
        let outer = active
        let scoped = BuildContext(seed: 0)
        scoped.random = outer.random
        defer { outer.random = scoped.random }
        return try current.with(scoped) { try build() }
    }

    private static var active: BuildContext {
        if let context = current.value { return context }
        if let context = fallback.value { return context }
        let context = BuildContext(seed: 0)
        fallback.value = context
        return context
    }

    /// A tensor of `shape` drawn from `initializer`.
    public static func make(_ initializer: Initializer, _ shape: [Int]) -> Tensor {
        let context = active
        return initializer.make(shape, using: &context.random)
    }

    /// A seed for a layer's own generator (dropout).
    public static func nextSeed() -> UInt64 { active.random.next() }

    /// Keras's automatic name for the next unnamed layer of class `base` (snake case):
    /// `base` the first time, then `base_1`, `base_2`, ...
    public static func automaticName(_ base: String) -> String {
        let context = active
        let index = context.nameCounts[base, default: 0]
        context.nameCounts[base] = index + 1
        return index == 0 ? base : "\(base)_\(index)"
    }

    /// Marks `names` as taken, so that the automatic names that follow do not repeat them
    /// (`dense_1` taken: the next unnamed `Dense` is `dense_2`), as layers added to a loaded
    /// model are named in Keras.
    public static func reserve(names: some Sequence<String>) {
        let context = active
        for name in names {
            var base = name
            var index = 0
            if let underscore = name.lastIndex(of: "_"), let number = Int(name[name.index(after: underscore)...]), number > 0 {
                base = String(name[..<underscore])
                index = number
            }
            context.nameCounts[base] = Swift.max(context.nameCounts[base, default: 0], index + 1)
        }
    }
}

/// `Conv2DTranspose` -> `conv2d_transpose`, `BatchNormalization` -> `batch_normalization`,
/// as Keras derives automatic names from class names.
public func snakeCase(_ className: String) -> String {
    var result = ""
    let characters = Array(className)
    for (i, character) in characters.enumerated() {
        if character.isUppercase {
            let previous = i > 0 ? characters[i - 1] : nil
            let next = i + 1 < characters.count ? characters[i + 1] : nil
            if let previous, previous.isLowercase || (previous.isUppercase && next?.isLowercase == true) {
                result.append("_")
            }
            result.append(Character(character.lowercased()))
        } else {
            result.append(character)
        }
    }
    return result
}
