import Ops

/// Strategy parameters that may differ per module: a recipe's per-model values, gradients over
/// layers and name filters, resolved for each module into the raw `name=value` list a strategy
/// is built from. Command-line `--param` values override the recipe's everywhere.
public struct ParameterPlan: Sendable {
    public let recipe: Recipe
    public let overrides: [(String, String)]

    public init(recipe: Recipe, overrides: [(String, String)] = []) {
        self.recipe = recipe
        self.overrides = overrides
    }

    /// Depth `t` in [0, 1] of each module: layer / (layers - 1), 0 outside numbered layers.
    public static func depths(_ modules: [String]) -> [Double] {
        let layers = modules.map(layerIndex)
        let last = layers.compactMap { $0 }.max() ?? 0
        return layers.map { layer in
            guard let layer, last > 0 else { return 0 }
            return Double(layer) / Double(last)
        }
    }

    /// The number after `layers.` (or `h.`, `blocks.`) in a module path: digits only, so a
    /// hostile name ("layers.-1", "layers.+5") is no layer and every depth stays in [0, 1].
    static func layerIndex(_ module: String) -> Int? {
        let parts = module.split(separator: ".")
        for (i, part) in parts.enumerated() where ["layers", "h", "blocks", "layer"].contains(part) && i + 1 < parts.count {
            let digits = parts[i + 1]
            if !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let n = Int(digits) { return n }
        }
        return nil
    }

    /// The raw parameters of `module` (at depth `t`) for a strategy declaring `specs`.
    public func raw(module: String, depth t: Double, specs: [ParameterSpec]) throws -> [(String, String)] {
        let tensor = module + ".weight"
        func name(_ n: String) -> String { n == "weight" ? "weights" : n }
        func text(_ s: Recipe.Setting, _ context: String) throws -> String? {
            guard let value = s.evaluate(tensor: tensor, t: t) else { return nil }
            guard let t = value.text else {
                throw SeedloraError(path: recipe.path, "\(context) does not evaluate to one value for \(tensor)")
            }
            return t
        }
        var global: [(String, String)] = []
        for (key, setting) in recipe.parameters {
            if let value = try text(setting, "parameters.\(key)") { global.append((name(key), value)) }
        }
        // Per-model values, by parameter name, in input order (nil where a model does not set it).
        var perModel: [(String, [String?])] = []
        for (i, model) in recipe.models.enumerated() {
            for (key, setting) in model.parameters {
                let n = name(key)
                let value = try text(setting, "models[\(i)].parameters.\(key)")
                if let j = perModel.firstIndex(where: { $0.0 == n }) {
                    perModel[j].1[i] = value
                } else {
                    var column = [String?](repeating: nil, count: recipe.models.count)
                    column[i] = value
                    perModel.append((n, column))
                }
            }
        }
        var raw = global
        for (n, column) in perModel {
            let fallback = global.first(where: { $0.0 == n })?.1
            raw.removeAll { $0.0 == n }
            let spec = specs.first { $0.name == n }
            let isPerInput: Bool
            if case .realPerInput? = spec?.kind { isPerInput = true } else { isPerInput = false }
            let defaultText = spec.map { s -> String in
                if case let .reals(xs) = s.defaultValue, let first = xs.first { return ParameterValue.real(first).description }
                return s.defaultValue.description
            }
            let values = column.map { $0 ?? fallback ?? defaultText ?? "" }
            if isPerInput {
                raw.append((n, values.joined(separator: ",")))
            } else if Set(values).count <= 1 {
                raw.append((n, values.first ?? ""))
            } else {
                throw SeedloraError(.usage, "\(recipe.path): per-model '\(n)' differs between models (\(values.joined(separator: ", "))) but \(recipe.method) takes one value for all inputs")
            }
        }
        for (n, value) in overrides {
            raw.removeAll { $0.0 == n }
            raw.append((n, value))
        }
        return raw
    }
}
