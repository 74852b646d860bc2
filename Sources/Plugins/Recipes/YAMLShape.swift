internal import CYaml

/// How deeply a YAML text nests, measured with libyaml's event parser before Yams composes it.
///
/// Yams builds its node tree recursively, one stack frame chain per nesting level, so a recipe of
/// 100,000 nested brackets (200 KB) overflows the stack and kills the process. libyaml's own
/// parser keeps its state on the heap: reading its events first, with no recursion, lets a recipe
/// that nests deeper than any real one be refused with a message instead.
enum YAMLShape {
    /// The deepest nesting of sequences and mappings in `text`, counting up to `limit + 1` (it
    /// stops reading there). Syntax errors end the count early: Yams reports them afterwards.
    static func depth(of text: String, limit: Int) -> Int {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return 0 }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            yaml_parser_set_input_string(&parser, base, buffer.count)
            var depth = 0, deepest = 0
            while deepest <= limit {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { break }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    depth += 1
                    deepest = max(deepest, depth)
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                case YAML_STREAM_END_EVENT:
                    return deepest
                default:
                    break
                }
            }
            return deepest
        }
    }
}
