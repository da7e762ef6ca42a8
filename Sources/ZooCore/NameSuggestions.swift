/// The names a user probably meant when a name is unknown: every error of Zoo that rejects a
/// name (a config key, a source, an architecture, a layer, a metric) suggests through here.
public enum NameSuggestions {
    /// Up to `limit` of `names` that `name` is probably a typo of: within a small edit distance
    /// (at most a third of its length, and at least 2), or one extending the other
    /// (`conv5_block3` for `conv5_block3_out`); case is ignored. Nearest first, then in
    /// alphabetical order.
    public static func nearest(to name: String, in names: [String], limit: Int = 3) -> [String] {
        let wanted = name.lowercased()
        let allowed = Swift.max(2, name.count / 3)
        var seen = Set<String>()
        let scored = names.filter { seen.insert($0).inserted }.map { ($0, editDistance($0.lowercased(), wanted)) }
        return scored.filter { candidate, distance in
            let lower = candidate.lowercased()
            return distance <= allowed || (!wanted.isEmpty && (lower.hasPrefix(wanted) || wanted.hasPrefix(lower)))
        }
        .sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    /// `; did you mean a or b?` for the nearest names, or nothing when none is near: the tail
    /// of an error message.
    public static func didYouMean(_ name: String, in names: [String], limit: Int = 3) -> String {
        let near = nearest(to: name, in: names, limit: limit)
        return near.isEmpty ? "" : "; did you mean \(near.joined(separator: " or "))?"
    }

    /// Levenshtein distance, by characters.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        guard !a.isEmpty, !b.isEmpty else { return Swift.max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
