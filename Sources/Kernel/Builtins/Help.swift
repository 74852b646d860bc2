import Ops

/// `help()` and `:help`: every builtin documented from its one template.
enum Help {
    static func text(for name: String?, interpreter: Interpreter) -> String {
        guard let name else { return overview(interpreter) }
        if let builtin = interpreter.builtins[name] { return describe(builtin) }
        if let value = interpreter.globals.lookup(name), case let .function(f) = value {
            let params = f.decl.parameters.map(\.name).joined(separator: ", ")
            let kind = interpreter.strategies.contains { $0.name == name } ? "strategy" : "fn"
            return "\(kind) \(f.name)(\(params))\n  defined at \(f.decl.span.position)"
        }
        if let keyword = Keyword(rawValue: name) { return keywordHelp(keyword) }
        if name == "strategy" {
            return "strategy name(deltas, weights, p=1) { ... }   defines a merge strategy, called per module with the dense deltas"
        }
        let names = Array(interpreter.builtins.keys) + interpreter.globals.visibleNames
        let hint = Suggest.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
        return "no help for '\(name)'\(hint)"
    }

    static func describe(_ b: Builtin) -> String {
        "\(b.signature)\n  \(b.summary)\n  example: \(b.example)"
    }

    static func overview(_ interpreter: Interpreter) -> String {
        var lines = ["Seed builtins by topic (help(\"name\") for one):"]
        for topic in Topic.allCases {
            let names = interpreter.builtins.values.filter { $0.topic == topic }.map(\.name).sorted()
            lines.append("  \(topic.rawValue): " + names.joined(separator: ", "))
        }
        lines.append("Keywords: " + Keyword.allCases.map(\.rawValue).joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    static func keywordHelp(_ k: Keyword) -> String {
        switch k {
        case .fn: return "fn name(a, b=1) { return a + b }   defines a function (fn(x) { ... } is an anonymous one)"
        case .if, .else: return "if cond { ... } else if other { ... } else { ... }"
        case .for, .in: return "for x in xs { ... }   (for i, x in enumerate(xs) unpacks pairs); `in` also tests membership"
        case .while: return "while cond { ... }"
        case .break, .continue: return "break / continue: leave the loop, or go to its next iteration"
        case .return: return "return value   (from a function)"
        case .and, .or, .not: return "and / or / not: logical operators (and/or return an operand, as in Python)"
        case .true, .false, .nil: return "true, false, nil: the constants"
        case .import: return "import \"file.seed\"   runs a file once, relative to the importing file"
        }
    }
}
