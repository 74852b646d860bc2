import Foundation
import Kernel
import Ops
import Plugins
import Testing
import TestSupport

/// No silent wrong numbers: an adapter with a NaN and one with an inf go through every analysis
/// builtin and every merge method of the registry. Each gives an error naming the module, or, where
/// the call allows non-finite values, a NaN; none gives a finite number.
@Suite struct NonFiniteTests {
    static let module = "model.layers.0.self_attn.q_proj"
    static let keyB = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"

    /// Copies of seed42 (as `bad`) with lora_B[1] of q_proj set to `value`, and seed11, seed202 (good).
    static func makeInputs(_ value: Float) throws -> String {
        let root = try Fixtures.temporaryDirectory("nonfinite")
        for (name, source) in [("bad", "taskA_seed42"), ("good1", "taskA_seed11"), ("good2", "taskA_seed202")] {
            try FileManager.default.copyItem(atPath: Fixtures.adapter(source), toPath: root + "/" + name)
        }
        let path = root + "/bad/adapter_model.safetensors"
        var file = try SafetensorsSurgery(path: path)
        let offset = Int(file.entry(keyB)?["data_offsets"]?.arrayValue?.first?.numberValue ?? -1)
        #expect(offset >= 0)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes in
            for k in 0..<4 { file.data[offset + 4 + k] = bytes[k] }
        }
        try file.write(to: path)
        return root
    }

    /// Three inputs, or two for the methods that interpolate between exactly two.
    static func inputNames(_ entry: StrategyEntry) -> [String] {
        (try? entry.instantiate([], inputCount: 3)) == nil ? ["bad", "good1"] : ["bad", "good1", "good2"]
    }

    static let values: [(String, Float)] = [("nan", .nan), ("inf", .infinity)]

    /// Runs `source` in a session rooted at `root`; returns (printed text, error messages).
    /// Warnings (a non-finite merge result) are kept apart from the printed text.
    static func run(_ source: String, root: String) -> (String, [String]) {
        var printed = ""
        var host = Host(write: { printed += $0 })
        host.warn = { _ in }
        let session = Session(host: host)
        session.workingDirectory = root
        let diagnostics = session.run(source, name: "nonfinite.seed")
        return (printed, diagnostics.map { "\($0)" })
    }

    /// Every analysis builtin: refused by default with the module's name (or "the tensor" for a
    /// plain tensor, which has none), and with allow_nonfinite=true a printed result whose every
    /// number is NaN (tables: the bad module's row, or the histogram's count of non-finite elements).
    static let analyses: [(call: String, allowed: String)] = [
        ("cosine([a, a])", "cosine([a, a], allow_nonfinite=true)"),
        ("cosine(a, g)", "cosine(a, g, allow_nonfinite=true)"),
        ("cosine(a, g, by=\"module\")", "cosine(a, g, by=\"module\", allow_nonfinite=true)"),
        ("stat(a)", "stat(a, allow_nonfinite=true)"),
        ("stat(delta(a, M, allow_nonfinite=true))", "s = stat(delta(a, M, allow_nonfinite=true), allow_nonfinite=true)\nprint([s[\"mean\"], s[\"std\"], s[\"norm\"], s[\"min\"], s[\"max\"]])"),
        ("norm(a)", "norm(a, allow_nonfinite=true)"),
        ("norm(delta(a, M, allow_nonfinite=true))", "norm(delta(a, M, allow_nonfinite=true), allow_nonfinite=true)"),
        ("norm(delta(a, M, allow_nonfinite=true), ord=2)", "norm(delta(a, M, allow_nonfinite=true), ord=2, allow_nonfinite=true)"),
        ("norm(dense(delta(a, M, allow_nonfinite=true)))", "norm(dense(delta(a, M, allow_nonfinite=true)), allow_nonfinite=true)"),
        ("svd(delta(a, M, allow_nonfinite=true))", "svd(delta(a, M, allow_nonfinite=true), allow_nonfinite=true)"),
        ("svd(delta(a, M, allow_nonfinite=true), full=true)", "svd(delta(a, M, allow_nonfinite=true), full=true, allow_nonfinite=true)"),
        ("svd(dense(delta(a, M, allow_nonfinite=true)))", "svd(dense(delta(a, M, allow_nonfinite=true)), allow_nonfinite=true)"),
        ("hist(a)", "hist(a, allow_nonfinite=true)"),
        ("hist(delta(a, M, allow_nonfinite=true))", "hist(delta(a, M, allow_nonfinite=true), allow_nonfinite=true)"),
        ("delta(a, M)", "norm(delta(a, M, allow_nonfinite=true), allow_nonfinite=true)"),
    ]

    static let prelude = """
        a = load("bad")
        g = load("good1")
        M = "\(module)"

        """

    /// The numbers in printed text (words such as "nan" included).
    static func numbers(_ text: Substring) -> [Double] {
        text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "+") })
            .compactMap { Double($0) }
    }

    @Test("analysis builtins", arguments: values)
    func analysis(_ value: (String, Float)) throws {
        let root = try Self.makeInputs(value.1)
        defer { FilePaths.removeTree(root) }
        for (call, allowed) in Self.analyses {
            let (_, refused) = Self.run(Self.prelude + call, root: root)
            let named = call.hasPrefix("norm(dense") || call.hasPrefix("svd(dense") ? "the tensor" : Self.module
            #expect(refused.count == 1 && refused.allSatisfy { $0.contains(named) && $0.contains("non-finite") && $0.contains("allow_nonfinite=true") },
                    "\(call) with \(value.0): \(refused)")
            let (printed, errors) = Self.run(Self.prelude + (allowed.contains("\n") ? allowed : "print(" + allowed + ")"), root: root)
            #expect(errors.isEmpty, "\(allowed): \(errors)")
            let lines = printed.split(separator: "\n")
            let checked: [Substring]
            if allowed.hasPrefix("stat(a") || allowed.hasPrefix("cosine(a, g, by") {
                // Table rows of the bad module; the shape and rank columns are finite ints.
                let keep = allowed.hasPrefix("stat") ? 3 : 1
                checked = lines.filter { $0.contains(Self.module) }.map { $0.split(separator: " ").suffix(keep).joined(separator: " ")[...] }
            } else if allowed.hasPrefix("hist") {
                // The non-finite elements are counted in their own row, never dropped.
                let row = lines.first { $0.contains("nan") } ?? ""
                #expect((Self.numbers(row).last ?? 0) > 0, "\(printed)")
                continue
            } else {
                checked = lines.map { $0.split(separator: "shape=").first ?? "" }
            }
            let numbers = checked.flatMap { Self.numbers($0) }
            #expect(!numbers.isEmpty && numbers.allSatisfy(\.isNaN), "\(allowed) with \(value.0): \(printed)")
        }
    }

    /// Every merge method of the registry, in Seed: refused naming the file and module, NaN when allowed.
    @Test("merge methods in Seed", arguments: values)
    func seedMerges(_ value: (String, Float)) throws {
        let root = try Self.makeInputs(value.1)
        defer { FilePaths.removeTree(root) }
        for entry in StrategyRegistry.all {
            let name = entry.info.name
            let inputs = Self.inputNames(entry).map { "load(\"\($0)\")" }.joined(separator: ", ").wrappedInBrackets
            let (_, refused) = Self.run("m = merge(\(inputs), strategy=\"\(name)\")", root: root)
            #expect(refused.count == 1 && refused.allSatisfy { $0.contains(Self.module) && $0.contains("non-finite") && $0.contains("allow_nonfinite=true") },
                    "\(name) with \(value.0): \(refused)")
            let check = """
                m = merge(\(inputs), strategy="\(name)", allow_nonfinite=true)
                print(norm(delta(m, "\(Self.module)", allow_nonfinite=true), allow_nonfinite=true))
                """
            let (printed, errors) = Self.run(check, root: root)
            #expect(errors.isEmpty, "\(name) with \(value.0): \(errors)")
            #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "nan", "\(name) with \(value.0): \(printed)")
        }
    }

    /// Every merge method through the CLI's pipeline, for each output form: refused with the
    /// file and module, and with --allow-nonfinite the module's written tensors are not finite.
    @Test("merge methods in the pipeline", arguments: values)
    func pipelineMerges(_ value: (String, Float)) throws {
        let root = try Self.makeInputs(value.1)
        defer { FilePaths.removeTree(root) }
        for entry in StrategyRegistry.all {
            for (format, rank) in [(MergeRequest.Format.delta, nil), (.peft, 4)] as [(MergeRequest.Format, Int?)] {
                var request = MergeRequest()
                request.method = entry.info.name
                request.inputs = Self.inputNames(entry).map { root + "/" + $0 }
                request.format = format
                request.rank = rank
                request.output = root + "/out-\(entry.info.name)-\(format.rawValue)"
                #expect {
                    _ = try MergePipeline.run(request)
                } throws: { error in
                    "\(error)".contains(Self.module) && "\(error)".contains("non-finite") && "\(error)".contains("--allow-nonfinite")
                }
                #expect(!FilePaths.exists(request.output))
                request.allowNonFinite = true
                _ = try MergePipeline.run(request)
                let file = try SafetensorsFile(path: request.output + (format == .delta ? "/delta.safetensors" : "/adapter_model.safetensors"))
                let names = format == .delta ? ["base_model.model.\(Self.module).weight", "\(Self.module).weight"]
                    : ["base_model.model.\(Self.module).lora_B.weight"]
                let tensor = try names.lazy.compactMap { file.entry($0) }.first.map { try file.tensor($0) }
                #expect(tensor?.firstNonFinite() != nil, "\(entry.info.name) \(format): the merged \(Self.module) is finite")
            }
        }
    }
}

extension String {
    var wrappedInBrackets: String { "[" + self + "]" }
}
