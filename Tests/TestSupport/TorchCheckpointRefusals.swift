/// The hostile archives in Tests/Fixtures/torch/malicious (made by scripts/make_torch_fixtures.py)
/// and what the restricted reader must say it refused in each.
public enum TorchCheckpointRefusals {
    public static let malicious: [(file: String, refused: String)] = [
        ("os_system", "refused global 'posix.system'"),
        // Protocol 2 names builtins by their Python 2 module.
        ("builtins_eval", "refused global '__builtin__.eval'"),
        ("subprocess_protocol4", "refused global 'subprocess.call'"),
        ("inst_opcode", "refused opcode INST ('i')"),
        ("newobj_storage", "refused opcode NEWOBJ (0x81)"),
        ("reduce_storage", "refused REDUCE (a call) of torch.FloatStorage"),
        ("ext1_opcode", "refused opcode EXT1 (0x82)"),
        ("build_on_tensor", "refused BUILD on a tensor"),
    ]

    /// Files the payloads would create if anything ran them.
    public static let markers = ["os_system", "eval", "subprocess"].map { "/tmp/seedlora-pwned-" + $0 }
}
