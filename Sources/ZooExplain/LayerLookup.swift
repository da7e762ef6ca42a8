import ZooCore

/// Finds a layer of a model by its Keras name.
///
/// Rules, in order:
/// 1. an exact layer name, when one layer has it (`conv5_block3_2_conv`);
/// 2. an exact scoped path, for names repeated across nested models (`resnet50/conv1_conv`);
/// 3. a *unit prefix*, the form papers write (`conv5_block3_2` for Keras's
///    `conv5_block3_2_conv`, `_bn`, `_relu`): the unit's output, which is the first of
///    `<prefix>_out` (a residual block), `<prefix>_relu`, `<prefix>_act`, `<prefix>_ac` (a
///    conv-BN-activation unit) that exists; else the single layer whose name starts with
///    `<prefix>_`; else an error listing the candidates;
/// 4. otherwise an error listing the nearest names (edit distance, then shared prefix).
public enum LayerLookup {
    /// Suffixes that name the output of a unit, preferred in this order.
    public static let unitOutputSuffixes = ["_out", "_relu", "_act", "_ac"]

    /// Every layer with its scoped path (`backbone/conv1_conv` inside a nested model).
    public static func layersWithPaths(_ model: Module) -> [(path: String, layer: Layer)] {
        var result = [(path: String, layer: Layer)]()
        func visit(_ module: Module, prefix: String) {
            if let layer = module as? Layer { result.append((prefix + layer.name, layer)) }
            let scope = module !== model && module.isScope && !(module is Layer) ? prefix + module.name + "/" : prefix
            for child in module.children { visit(child, prefix: scope) }
        }
        visit(model, prefix: "")
        return result
    }

    /// The layer `name` designates in `model` (see the type's rules).
    public static func layer(_ name: String, in model: Module) throws -> Layer {
        let all = layersWithPaths(model)
        let byName = all.filter { $0.layer.name == name }
        if byName.count == 1 { return byName[0].layer }
        if let byPath = all.first(where: { $0.path == name }) { return byPath.layer }
        if byName.count > 1 { throw ExplainError.ambiguousLayer(name: name, candidates: byName.map(\.path)) }

        let unit = all.filter { $0.layer.name.hasPrefix(name + "_") }
        if !unit.isEmpty {
            for suffix in unitOutputSuffixes {
                let output = unit.filter { $0.layer.name == name + suffix }
                if output.count == 1 { return output[0].layer }
            }
            if unit.count == 1 { return unit[0].layer }
            throw ExplainError.ambiguousLayer(name: name, candidates: unit.map(\.layer.name))
        }
        throw ExplainError.unknownLayer(name: name, model: model.name, nearest: NameSuggestions.nearest(to: name, in: all.map(\.layer.name), limit: 5))
    }
}
