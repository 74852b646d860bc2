import Ops
import Testing
import TestSupport

/// rank_pattern / alpha_pattern keys come with downloaded configs; shapes that backtrack
/// exponentially are refused, PEFT's real keys are not.
struct ModulePatternTests {
    static func config(_ key: String) throws -> AdapterConfig {
        try AdapterConfig(json: .object([("peft_type", .string("LORA")), ("rank_pattern", .object([(key, .number(4))]))]),
                          path: "adapter_config.json")
    }

    @Test(arguments: ["q_proj", "model.layers.0.self_attn.q_proj", #"layers\.[0-9]+\..*q_proj"#, "(q|k|v)_proj",
                      #"^model\.layers\.(1[0-9]|2[0-3])\.mlp\..*"#, "a{2,3}b", "(ab)?c", #"\(x\)*"#, "[(*]+", "a{1}", "x{,2}"])
    func realKeysAreAccepted(_ key: String) throws {
        _ = try Self.config(key)
    }

    @Test(arguments: ["(a*)*b", "(a+)+$", "(a|aa)*b", "(.*a){2,}", "(x+x+)+y", "(a?b*){10}", ".*.*.*.*.*x", "((ab)*)+"])
    func backtrackingShapesAreRefused(_ key: String) throws {
        let error = #expect(throws: SeedloraError.self) { try Self.config(key) }
        #expect(error?.message.contains("can take exponential time to match") == true, "\(key): \(error?.message ?? "accepted")")
    }

    @Test func acceptedKeysMatchAsPEFTDoes() throws {
        let config = try Self.config(#"layers\.[0-9]+\.self_attn\.q_proj"#)
        #expect(config.rank(for: "model.layers.12.self_attn.q_proj") == 4)
        #expect(config.rank(for: "model.layers.12.self_attn.k_proj") == 8)
    }
}
