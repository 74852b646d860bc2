import Ops

/// Inputs with NaN or inf factors (merged only with `--allow-nonfinite`): QR and SVD of them are
/// meaningless (LAPACK may even fail to converge), so the subspace merges give a NaN result for
/// such a module instead: the bad value propagates and is never turned into a number.
enum NonFiniteFactors {
    static func present(_ deltas: [LowRank]) -> Bool {
        deltas.contains { $0.b.firstNonFinite() != nil || $0.a.firstNonFinite() != nil || !$0.scale.isFinite }
    }

    /// A rank-1 LoRA of the module's shape whose product is NaN everywhere.
    static func result(rows: Int, cols: Int) -> LowRank {
        LowRank(uncheckedB: Tensor(uncheckedShape: [rows, 1], data: [Float](repeating: .nan, count: rows)),
                a: Tensor(uncheckedShape: [1, cols], data: [Float](repeating: .nan, count: cols)), scale: 1)
    }

    /// The NaN result when `group` has non-finite factors, else nil.
    static func result(for group: ModuleGroup) -> LowRank? {
        guard present(group.deltas), group.shape.count == 2 else { return nil }
        return result(rows: group.shape[0], cols: group.shape[1])
    }
}
