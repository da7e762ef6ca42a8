import ZooCore

/// Keras's view of a Zoo model: `model.layers` at each level, nested models as one entry.
enum ModelStructure {
    /// The entries of `module`'s `model.layers`: its layers, and each nested (scoped) model
    /// as one entry; blocks that only group layers are looked through.
    static func entries(_ module: Module) -> [Module] {
        var result = [Module]()
        func visit(_ node: Module) {
            for child in node.children {
                if child is Layer || child.isScope { result.append(child) } else { visit(child) }
            }
        }
        visit(module)
        return result
    }

    /// The Keras class of an entry: the layer's class, or `Sequential` / `Functional`.
    static func kerasClass(_ entry: Module) -> String { entry.kerasClassName }

    /// Every layer by its name path (`conv2d`, `backbone/stem_conv`), as Keras 2 files and
    /// `.keras` configs name them.
    static func layersByName(_ model: Module) -> [String: Layer] {
        var result = [String: Layer]()
        func visit(_ module: Module, prefix: String) {
            for entry in entries(module) {
                if let layer = entry as? Layer { result[prefix + layer.name] = layer }
                if !(entry is Layer) { visit(entry, prefix: prefix + entry.name + "/") }
            }
        }
        visit(model, prefix: "")
        return result
    }

    /// Every layer by its Keras 3 class key (`conv2d_1`, `functional/batch_normalization`):
    /// the snake-case class numbered by its ordinal among its container's `model.layers`.
    static func layersByClassKey(_ model: Module) -> [String: Layer] {
        var result = [String: Layer]()
        func visit(_ module: Module, prefix: String) {
            var counts = [String: Int]()
            for entry in entries(module) {
                let key = prefix + KerasConfig.classKey(snakeCase(kerasClass(entry)), &counts)
                if let layer = entry as? Layer { result[key] = layer } else { visit(entry, prefix: key + "/") }
            }
        }
        visit(model, prefix: "")
        return result
    }

    /// Parameter paths by parameter identity.
    static func paths(_ model: Module) -> [ObjectIdentifier: String] {
        Dictionary(model.namedParameters.map { (ObjectIdentifier($0.parameter), $0.path) }, uniquingKeysWith: { first, _ in first })
    }

    /// `conv2d_93` -> `conv2d`: the base of a Keras automatic name, or nil when `name` is
    /// not of that form (the caller checks the base against the class).
    static func automaticBase(_ name: String) -> String {
        guard let underscore = name.lastIndex(of: "_"), Int(name[name.index(after: underscore)...]) != nil else { return name }
        return String(name[..<underscore])
    }
}
