import ZooCore
import ZooTensor

/// Class weights and oversampling for imbalanced data.
public enum ClassBalance {
    /// Samples per class among `indices` (labels outside `0..<classes` are ignored).
    public static func counts(_ dataset: Dataset, indices: [Int]? = nil, classes: Int? = nil) -> [Int] {
        let k = classes ?? dataset.classNames.count
        var counts = [Int](repeating: 0, count: k)
        for index in indices ?? Array(0..<dataset.count) {
            if let label = dataset.info(at: index).label, label >= 0, label < k { counts[label] += 1 }
        }
        return counts
    }

    /// scikit-learn's `balanced` weights: n / (k * count_c), where n counts the labelled
    /// samples and k the classes present. An absent class gets weight 0.
    public static func balancedWeights(_ dataset: Dataset, indices: [Int]? = nil) -> [Float] {
        balancedWeights(counts: counts(dataset, indices: indices))
    }

    /// The same weights from per-class counts.
    public static func balancedWeights(counts: [Int]) -> [Float] {
        let n = counts.reduce(0, +)
        let present = counts.filter { $0 > 0 }.count
        return counts.map { $0 == 0 ? 0 : Float(n) / Float(present * $0) }
    }

    /// `indices` with the samples of every smaller class drawn again (with replacement,
    /// from the seed) until each class has as many as the largest. The result is in a
    /// shuffled order.
    public static func oversample(_ dataset: Dataset, indices: [Int], seed: UInt64) -> [Int] {
        var byClass: [Int: [Int]] = [:]
        var unlabelled: [Int] = []
        for index in indices {
            if let label = dataset.info(at: index).label { byClass[label, default: []].append(index) } else { unlabelled.append(index) }
        }
        let largest = byClass.values.map(\.count).max() ?? 0
        var random = RandomGenerator(seed: seed)
        var result = unlabelled
        for label in byClass.keys.sorted() {
            let members = byClass[label]!
            result += members
            for _ in 0..<(largest - members.count) { result.append(members[random.nextInt(below: members.count)]) }
        }
        Splitter.shuffle(&result, &random)
        return result
    }
}
