import Foundation
import Ops
import Plugins
import Testing
import TestSupport

/// mergekit YAML recipes: parsing, mergekit's evaluation of gradients and filters, and equality
/// with the same merge given on the command line.
struct RecipeTests {
    static func write(_ yaml: String) throws -> (dir: String, path: String) {
        let dir = try Fixtures.temporaryDirectory("seedlora-recipe")
        let path = dir + "/recipe.yml"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        return (dir, path)
    }

    @Test func gradientsInterpolateAndFiltersPickTheFirstMatch() {
        let gradient = Recipe.Setting.numbers([1, 0.7, 0.1])
        #expect(gradient.evaluate(tensor: "x", t: 0) == .number(1))
        #expect(gradient.evaluate(tensor: "x", t: 1) == .number(0.1))
        if case let .number(mid)? = gradient.evaluate(tensor: "x", t: 0.25) { #expect(abs(mid - 0.85) < 1e-12) } else { Issue.record("no number") }
        let filtered = Recipe.Setting.conditions([
            .init(filter: "mlp", value: .number(0.5)), .init(filter: nil, value: .number(0)),
        ])
        #expect(filtered.evaluate(tensor: "model.layers.3.mlp.up_proj.weight", t: 0) == .number(0.5))
        #expect(filtered.evaluate(tensor: "model.layers.3.self_attn.q_proj.weight", t: 0) == .number(0))
        #expect(ParameterPlan.depths(["model.layers.0.x", "model.layers.3.x", "lm_head"]) == [0, 1, 0])
    }

    /// Found by review after fuzzing (the fuzzer's inputs are too short to reach them): nesting that
    /// overflowed the stack in Yams' recursive composer, and aliases that expand exponentially.
    static var billionLaughs: String {
        var lines = ["merge_method: linear", "models: [a]", "parameters:",
                     "  a0: &a0 [" + Array(repeating: "{value: 1}", count: 10).joined(separator: ", ") + "]"]
        for level in 1..<10 {
            lines.append("  a\(level): &a\(level) [" + Array(repeating: "{value: *a\(level - 1)}", count: 10).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static var deepBrackets: String {
        let open = String(repeating: "[", count: 100_000), close = String(repeating: "]", count: 100_000)
        return "merge_method: linear\nmodels: [a]\nparameters: {x: " + open + close + "}\n"
    }

    static var deepIndentation: String {
        let items: [String] = (0..<40).map { level in String(repeating: "  ", count: level + 2) + "- \n" }
        return "merge_method: linear\nmodels: [a]\nparameters:\n  x:\n" + items.joined()
    }

    static let hostile: [(String, String)] = [
        (deepBrackets, "nests lists and mappings deeper than 32 levels"),
        (deepIndentation, "nests lists and mappings deeper than 32 levels"),
        (billionLaughs, "more than 100000 values once its aliases are expanded"),
    ]

    @Test(arguments: hostile)
    func hostileYAMLIsRefusedNotFollowed(_ yaml: String, _ message: String) throws {
        let (dir, path) = try Self.write(yaml)
        defer { FilePaths.removeTree(dir) }
        let error = #expect(throws: SeedloraError.self) { try Recipe(path: path) }
        #expect(error?.description.contains(message) == true, "\(error?.description.prefix(300) ?? "")")
    }

    /// Module names come from adapter files: a hostile layer number must not reach a list index.
    @Test func hostileLayerNumbersStayInTheUnitInterval() {
        let names = ["model.layers.-1.x", "model.layers.+2.x", "model.layers.9223372036854775807.x", "model.layers.1.x"]
        let depths = ParameterPlan.depths(names)
        #expect(depths == [0, 0, 1, 1.0 / 9223372036854775807.0])
        let gradient = Recipe.Setting.numbers([1, 2, 3])
        #expect(gradient.evaluate(tensor: "x", t: -5) == .number(1))
        #expect(gradient.evaluate(tensor: "x", t: .nan) == .number(1))
        #expect(gradient.evaluate(tensor: "x", t: 7) == .number(3))
        #expect(Recipe.Setting.words(["a", "b"]).evaluate(tensor: "x", t: -.infinity) == .word("a"))
    }

    @Test func recipeEqualsCommandLineMerge() throws {
        let root = Fixtures.root + "/examples/adapters/"
        let (dir, path) = try Self.write("""
            merge_method: linear
            models:
              - model: \(root)taskA_seed11
                parameters: {weight: 1.0}
              - model: \(root)taskA_seed42
                parameters: {weight: 1.0}
              - model: \(root)taskA_seed202
                parameters: {weight: 2.0}
            parameters:
              normalize: true
              int8_mask: true
            dtype: float32
            """)
        defer { FilePaths.removeTree(dir) }
        let recipe = try Recipe(path: path)
        var viaRecipe = MergeRequest()
        viaRecipe.method = recipe.method
        viaRecipe.inputs = recipe.models.map(\.adapter)
        viaRecipe.plan = ParameterPlan(recipe: recipe)
        viaRecipe.output = dir + "/a"
        var direct = MergeRequest()
        direct.method = "linear"
        direct.inputs = Fixtures.seedPaths
        direct.parameters = [("weights", "1,1,2"), ("normalize", "true")]
        direct.output = dir + "/b"
        _ = try MergePipeline.run(viaRecipe)
        _ = try MergePipeline.run(direct)
        let a = try PeftAdapter(directory: dir + "/a"), b = try PeftAdapter(directory: dir + "/b")
        for (x, y) in zip(a.modules, b.modules) {
            #expect(x.delta == y.delta, "\(x.name)")
        }
    }

    @Test func gradientsVaryParametersPerModule() throws {
        let root = Fixtures.root + "/examples/adapters/"
        let (dir, path) = try Self.write("""
            merge_method: task_arithmetic
            models:
              - model: \(root)taskA_seed11
                parameters:
                  weight: [0, 1]
              - model: \(root)taskA_seed42
                parameters:
                  weight:
                    - filter: mlp
                      value: 1
                    - value: 0
            """)
        defer { FilePaths.removeTree(dir) }
        let recipe = try Recipe(path: path)
        var request = MergeRequest()
        request.method = recipe.method
        request.inputs = recipe.models.map(\.adapter)
        request.plan = ParameterPlan(recipe: recipe)
        request.output = dir + "/out"
        let report = try MergePipeline.run(request)
        #expect(report.parameterSets == 4)
        let merged = try PeftAdapter(directory: dir + "/out")
        let s11 = try PeftAdapter(directory: root + "taskA_seed11"), s42 = try PeftAdapter(directory: root + "taskA_seed42")
        for module in merged.modules {
            let layer1 = module.name.contains("layers.1.")
            let mlp = module.name.contains("mlp")
            // Layer 0 has t = 0, layer 1 has t = 1 (two layers).
            var expected = [Float](repeating: 0, count: module.delta.elementCount)
            if layer1 { expected = zip(expected, s11.module(module.name)?.delta.dense().data ?? []).map { $0 + $1 } }
            if mlp { expected = zip(expected, s42.module(module.name)?.delta.dense().data ?? []).map { $0 + $1 } }
            let got = module.delta.dense().data
            if layer1 || mlp {
                #expect(Compare.relativeFrobenius(got, expected) <= 1e-6, "\(module.name)")
            } else {
                #expect(got.allSatisfy { $0 == 0 }, "\(module.name) has weight 0 for both inputs")
            }
        }
    }

    @Test(arguments: [
        ("merge_method: linear\nslices: []\n", "key 'slices' is not supported"),
        ("models: []\n", "missing merge_method"),
        ("merge_method: linear\nmodels: [{model: nowhere}]\nparameters: [1]\n", "parameters must be a mapping"),
        ("merge_method: linear\nmodels: [{lora: x}]\n", "models[0]: key 'lora' is not supported"),
        ("merge_method: [\n", "not valid YAML"),
        // Found by the recipe fuzzer (a crash: an empty list item indexed an empty split).
        ("models:\n-", "models[0]: model '' names no adapter"),
        ("merge_method: linear\nmodels: ['+']\n", "models[0]: model '+' names no adapter"),
        ("merge_method: linear\nmodels: [{model: base+}]\n", "models[0]: model 'base+' names no adapter"),
    ])
    func badRecipesAreNamed(_ yaml: String, _ message: String) throws {
        let (dir, path) = try Self.write(yaml)
        defer { FilePaths.removeTree(dir) }
        let error = #expect(throws: SeedloraError.self) { try Recipe(path: path) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("recipe.yml") == true)
    }

    @Test func perModelValueOfAGlobalParameterMustAgree() throws {
        let root = Fixtures.root + "/examples/adapters/"
        let (dir, path) = try Self.write("""
            merge_method: slerp
            models:
              - model: \(root)taskA_seed11
                parameters: {t: 0.2}
              - model: \(root)taskA_seed42
                parameters: {t: 0.4}
            """)
        defer { FilePaths.removeTree(dir) }
        let recipe = try Recipe(path: path)
        let error = #expect(throws: SeedloraError.self) {
            try ParameterPlan(recipe: recipe).raw(module: "m", depth: 0, specs: SlerpStrategy.info.parameters)
        }
        #expect(error?.description.contains("per-model 't' differs between models") == true)
    }
}
