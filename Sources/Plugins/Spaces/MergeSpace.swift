import Ops

/// Where an element-wise merge method (TIES, DARE, magnitude pruning, ...) runs.
///
/// - `full`: on the dense `out x in` deltas (the methods' papers; a full-rank result).
/// - `core`: on the core matrices `M_i = U^T tau_i Vh^T` (`CoreSpace`), result `U f(M) Vh`.
/// - `knots`: on the KnOTS right factors `V_i` of `[tau_1 | .. | tau_n] = U S [V_1 | .. | V_n]`
///   (`KnotsSpace`), result `U diag(S) f(V)`.
///
/// `core` and `knots` results are exact LoRAs of rank at most `R = sum r_i`, built without any
/// `out x in` matrix (docs/merging.md).
public enum MergeSpace: String, Sendable, CaseIterable {
    case full
    case core
    case knots

    /// The `space` declaration of the element-wise methods.
    static let parameter = ParameterSpec(
        "space", .choice(MergeSpace.allCases.map(\.rawValue)), default: .choice(MergeSpace.full.rawValue),
        doc: "full: on the dense deltas (full-rank result); core: on the core matrices U^T tau_i Vh^T of the stacked factors; knots: on the KnOTS right factors V_i. core and knots give an exact LoRA of rank <= sum r_i")

    /// The space chosen in resolved parameters (nil when the strategy has no `space`).
    static func of(_ parameters: ResolvedParameters) -> MergeSpace? {
        // Methods without a `space` parameter (SCE's weights, DoRA paths) run in the full space.
        guard parameters.declares("space") else { return nil }
        return parameters.choice("space").flatMap(MergeSpace.init(rawValue:))
    }

    /// The form text of an element-wise method with a `space` parameter.
    static func form(_ dense: String) -> String {
        "\(dense); with space=core or space=knots: exact, factored, rank <= sum(r_i)"
    }
}
