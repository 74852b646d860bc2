import ArgumentParser
import Foundation
import Ops
import Plugins

/// Shell completions beyond file names (`seedlora --generate-completion-script bash|zsh|fish`).
/// The shell runs seedlora to ask for them, so they are computed from what this binary knows:
/// the strategy registry and the file system. They must never fail: a problem means no candidates.
enum CompletionKinds {
    /// Merge method names.
    static let method = CompletionKind.custom { _, _, prefix in
        StrategyRegistry.all.map(\.info.name).filter { $0.hasPrefix(prefix) }
    }

    /// `--param` names (`name=`) of the method given by --method on the same line (default
    /// seedlora), and the words of a choice parameter after `name=` when the shell passes the word
    /// whole (bash splits it at "=" and then asks for no value completion).
    static let parameter = CompletionKind.custom { words, _, prefix in
        let name = methodName(in: words) ?? "seedlora"
        guard let entry = StrategyRegistry.all.first(where: { $0.info.name == name }) else { return [] }
        let specs = entry.info.parameters
        func values(_ key: String) -> [String] {
            switch specs.first(where: { $0.name == key })?.kind {
            case let .choice(list)?, let .choiceOrInputIndex(list)?: return list
            case .boolean?: return ["true", "false"]
            default: return []
            }
        }
        if let equals = prefix.firstIndex(of: "=") {
            let key = String(prefix[..<equals])
            return values(key).map { key + "=" + $0 }.filter { $0.hasPrefix(prefix) }
        }
        return specs.map { $0.name + "=" }.filter { $0.hasPrefix(prefix) }
    }

    /// Adapter directories (holding an adapter_config.json, PEFT or mlx-lm) under the typed
    /// directory, other directories to descend into (with a trailing "/"), and hub ids from the
    /// local Hugging Face cache that start with what was typed.
    static let adapter = CompletionKind.custom { _, _, prefix in
        adapterCandidates(prefix)
    }

    /// The value of `--method X` or `--method=X` among the shell words.
    static func methodName(in words: [String]) -> String? {
        for (i, word) in words.enumerated() {
            if word == "--method", i + 1 < words.count { return words[i + 1] }
            if word.hasPrefix("--method=") { return String(word.dropFirst("--method=".count)) }
        }
        return nil
    }

    static func adapterCandidates(_ prefix: String) -> [String] {
        let (dir, stem): (String, String)
        if let slash = prefix.lastIndex(of: "/") {
            dir = String(prefix[...slash])
            stem = String(prefix[prefix.index(after: slash)...])
        } else {
            (dir, stem) = ("", prefix)
        }
        var candidates: [String] = []
        let listed = (try? FilePaths.list(dir.isEmpty ? "." : dir)) ?? []
        for name in listed where name.hasPrefix(stem) && (stem.hasPrefix(".") || !name.hasPrefix(".")) {
            let path = dir + name
            guard FilePaths.isDirectory(path) else { continue }
            candidates.append(FilePaths.exists(path + "/adapter_config.json") ? path : path + "/")
        }
        candidates += cachedHubIds().filter { $0.hasPrefix(prefix) && !FilePaths.exists($0) }
        return candidates
    }

    /// `org/name` for every model repository in the Hugging Face cache.
    static func cachedHubIds() -> [String] {
        ((try? FilePaths.list(HubCache.root())) ?? []).compactMap { folder in
            guard folder.hasPrefix("models--") else { return nil }
            let parts = String(folder.dropFirst("models--".count)).components(separatedBy: "--")
            return parts.count == 2 ? parts.joined(separator: "/") : nil
        }
    }
}
