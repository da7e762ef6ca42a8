import ZooCore
import ZooNN

/// The catalog of every architecture the package links, compiled from the families'
/// manifests by the CatalogGenerator plugin: one line per variant, no registration at import.
public enum ModelZoo {
    /// Every variant, grouped by family.
    public static let variants: [ArchitectureVariant] = GeneratedCatalog.variants

    /// The variant called `name`; an unknown name is an error listing the nearest ones.
    public static func variant(_ name: String) throws -> ArchitectureVariant {
        if let found = variants.first(where: { $0.name == name }) { return found }
        throw ModelError(
            "unknown architecture '\(name)'" + NameSuggestions.didYouMean(name, in: variants.map(\.name))
                + " (`zoo list` shows all \(variants.count))")
    }

    /// The variants whose names match a glob (`*` any run of characters, `?` one character).
    public static func list(matching pattern: String = "*") -> [ArchitectureVariant] {
        variants.filter { glob(pattern, matches: $0.name) }
    }

    /// Builds the variant called `name` with `options`.
    public static func make(_ name: String, _ options: ArchitectureOptions = ArchitectureOptions()) throws -> Model {
        try variant(name).make(options)
    }

    /// The catalog as a table: name, family, default input, preprocessing, parameters.
    public static func table(matching pattern: String = "*") -> String {
        let rows = list(matching: pattern).map { v in
            [v.name, v.family, v.defaultInput.map(String.init).joined(separator: "x"), v.preprocessing.rawValue,
             grouped(v.parameterCount), grouped(v.trainableParameterCount), v.source]
        }
        let header = ["name", "family", "input", "preprocessing", "parameters", "trainable", "reference"]
        let widths = (0..<header.count).map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { c, cell in
                c >= 4 && c <= 5 ? String(repeating: " ", count: widths[c] - cell.count) + cell
                    : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        return String(digits.enumerated().flatMap { i, d in i > 0 && (digits.count - i) % 3 == 0 ? [",", d] : [d] })
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}

/// Shell-style glob with `*` and `?`.
func glob(_ pattern: String, matches text: String) -> Bool {
    let (p, t) = (Array(pattern), Array(text))
    var memo = [[Bool?]](repeating: [Bool?](repeating: nil, count: t.count + 1), count: p.count + 1)
    func match(_ i: Int, _ j: Int) -> Bool {
        if let known = memo[i][j] { return known }
        let result: Bool
        if i == p.count {
            result = j == t.count
        } else if p[i] == "*" {
            result = match(i + 1, j) || (j < t.count && match(i, j + 1))
        } else {
            result = j < t.count && (p[i] == "?" || p[i] == t[j]) && match(i + 1, j + 1)
        }
        memo[i][j] = result
        return result
    }
    return match(0, 0)
}
