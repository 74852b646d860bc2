#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A hub id (`org/name`, optionally `@revision`) found in the local Hugging Face cache.
public struct HubReference: Sendable, Equatable {
    /// `org/name`.
    public let id: String
    /// The revision as asked for: a branch, a tag or a commit ("main" when none was given).
    public let revision: String
    /// The 40-hex commit the revision points to.
    public let commit: String
    /// `<cache>/models--org--name/snapshots/<commit>`: the files, symlinks into `blobs/`.
    public let snapshot: String

    /// "org/name@main (commit 0123...)": what inspect and the model card record.
    public var description: String {
        revision == commit ? "\(id)@\(commit)" : "\(id)@\(revision) (commit \(commit))"
    }
}

/// Resolves hub ids offline, from the cache `huggingface_hub` writes (`snapshot_download`,
/// `huggingface-cli download`, `hf download`). seedlora never downloads anything itself.
///
/// Layout (huggingface_hub's file_download.py): `<cache>/models--<org>--<name>/refs/<revision>`
/// holds a commit hash, `snapshots/<commit>/<file>` are relative symlinks to
/// `blobs/<etag>`. A revision that is itself a commit hash is looked up in `snapshots/` directly.
public enum HubCache {
    /// The cache root as huggingface_hub computes it: `HF_HUB_CACHE`, else the legacy
    /// `HUGGINGFACE_HUB_CACHE`, else `HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`,
    /// else `~/.cache/huggingface/hub`.
    public static func root(environment: (String) -> String? = HubCache.environment) -> String {
        if let hub = environment("HF_HUB_CACHE") ?? environment("HUGGINGFACE_HUB_CACHE") { return expandHome(hub, environment) }
        if let home = environment("HF_HOME") { return expandHome(home, environment) + "/hub" }
        let xdg = environment("XDG_CACHE_HOME").map { expandHome($0, environment) }
            ?? (environment("HOME") ?? "~") + "/.cache"
        return xdg + "/huggingface/hub"
    }

    /// `org/name` and the revision after `@` (nil when none was given), if `text` has the form
    /// of a hub model id; nil for anything else (absolute paths, `./x`, more than one slash).
    public static func parseId(_ text: String) -> (id: String, revision: String?)? {
        let at = text.firstIndex(of: "@")
        let id = at.map { String(text[..<$0]) } ?? text
        let revision = at.map { String(text[text.index(after: $0)...]) }
        if let revision, revision.isEmpty || revision.contains("..") { return nil }
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        for part in parts {
            // huggingface_hub's validate_repo_id: letters, digits, "-", "_", "."; no "--" or
            // "..", no leading or trailing "-" or ".", at most 96 characters.
            guard !part.isEmpty, part.count <= 96, part != ".", part != "..",
                  !part.contains("--"), !part.contains(".."),
                  !part.hasPrefix("-"), !part.hasPrefix("."), !part.hasSuffix("-"), !part.hasSuffix("."),
                  part.unicodeScalars.allSatisfy({ $0.isASCII && (isAlphanumeric($0) || "-_.".unicodeScalars.contains($0)) })
            else { return nil }
        }
        return (id, revision)
    }

    /// The directory to read for an adapter or base argument: `argument` itself when it exists
    /// (a local directory of the same name wins), else the cached snapshot of the hub id.
    public static func localDirectory(for argument: String) throws -> String {
        try resolve(argument)?.snapshot ?? argument
    }

    /// The cached snapshot for `argument` when it is a hub id and no local path of that name
    /// exists; nil when the argument is a local path (or not of hub-id form: the caller's own
    /// "does not exist" error is then the right one). `local` is where a local path would be
    /// (the argument made absolute by the caller, e.g. relative to a script).
    public static func resolve(_ argument: String, local: String? = nil, cache: String? = nil) throws -> HubReference? {
        if FilePaths.exists(local ?? argument) || FilePaths.unusableReason(local ?? argument) != nil { return nil }
        guard let (id, revision) = parseId(argument) else { return nil }
        return try lookup(id: id, revision: revision, cache: cache ?? root())
    }

    /// Finds `id` at `revision` (default "main") in the cache at `cache`.
    public static func lookup(id: String, revision asked: String?, cache: String) throws -> HubReference {
        let revision = asked ?? "main"
        let download = downloadCommand(id: id, revision: asked)
        let repo = cache + "/models--" + id.split(separator: "/").joined(separator: "--")
        guard FilePaths.isDirectory(repo) else {
            throw SeedloraError(path: id, "is neither a local directory nor in the Hugging Face cache (\(cache) has no \(FilePaths.split(repo).name)); seedlora makes no network requests: download it first with `\(download)` (or `\(download.replacingFirst("huggingface-cli", with: "hf"))`), or set HF_HUB_CACHE / HF_HOME to the cache that has it")
        }
        let commit: String
        let refPath = repo + "/refs/" + revision
        if FilePaths.exists(refPath) && !FilePaths.isDirectory(refPath) {
            let text: String
            do { text = try readSmallText(refPath) } catch let error as SeedloraError {
                throw SeedloraError(error.kind, path: refPath, "cannot read the ref of \(id)@\(revision): \(error.message)")
            }
            let trimmed = text.trimmingWhitespace()
            guard isCommitHash(trimmed) else {
                let shown = trimmed.count > 60 ? String(trimmed.prefix(60)) + "..." : trimmed
                throw SeedloraError(path: refPath, "corrupted Hugging Face cache: the ref '\(revision)' of \(id) should hold a 40-hex commit hash but holds \"\(shown)\"; re-download with `\(download)`")
            }
            commit = trimmed
            guard FilePaths.isDirectory(repo + "/snapshots/" + commit) else {
                throw SeedloraError(path: repo + "/snapshots/" + commit, "corrupted Hugging Face cache: the ref '\(revision)' of \(id) points to commit \(commit), whose snapshot directory is missing; re-download with `\(download)`")
            }
        } else if isCommitHash(revision) {
            guard FilePaths.isDirectory(repo + "/snapshots/" + revision) else {
                throw SeedloraError(path: id, "commit \(revision) of \(id) is not in the Hugging Face cache (cached: \(cachedSummary(repo))); seedlora makes no network requests: download it with `\(download)`")
            }
            commit = revision
        } else if let unique = uniqueSnapshot(prefix: revision, in: repo) {
            // A short commit hash, as `git log --oneline` shows it.
            commit = unique
        } else {
            throw SeedloraError(path: id, "revision '\(revision)' of \(id) is not in the Hugging Face cache (cached: \(cachedSummary(repo))); seedlora makes no network requests: download it with `\(download)`")
        }
        let snapshot = repo + "/snapshots/" + commit
        if let broken = try firstDanglingLink(in: snapshot) {
            throw SeedloraError(path: snapshot + "/" + broken, "incomplete Hugging Face cache entry: this file of \(id)@\(revision) is a symbolic link to a blob that does not exist (an interrupted download?); re-download with `\(download)`")
        }
        return HubReference(id: id, revision: revision, commit: commit, snapshot: snapshot)
    }

    /// The hub id and commit of a snapshot directory path (`.../models--org--name/snapshots/<commit>`),
    /// for provenance of an already-resolved path.
    public static func reference(ofSnapshot path: String) -> (id: String, commit: String)? {
        let parts = FilePaths.absolute(path).split(separator: "/")
        guard parts.count >= 3, parts[parts.count - 2] == "snapshots", isCommitHash(String(parts[parts.count - 1])) else { return nil }
        let folder = parts[parts.count - 3]
        guard folder.hasPrefix("models--") else { return nil }
        let name = folder.dropFirst("models--".count)
        guard let range = name.range(of: "--") else { return nil }
        return (String(name[..<range.lowerBound]) + "/" + String(name[range.upperBound...]), String(parts[parts.count - 1]))
    }

    /// What the model card and inspect say about an input argument: the hub id and commit it
    /// resolved to, or nil when it is a local path.
    public static func provenance(of argument: String) -> String? {
        guard let reference = try? resolve(argument) else { return nil }
        return "Hugging Face cache: \(reference.description)"
    }

    /// The huggingface_hub command that would put `id` (at `revision`) into the cache.
    public static func downloadCommand(id: String, revision: String?) -> String {
        "huggingface-cli download \(id)" + (revision.map { " --revision \($0)" } ?? "")
    }

    // MARK: helpers

    @Sendable public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    static func expandHome(_ path: String, _ environment: (String) -> String?) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = environment("HOME") else { return path }
        return home + path.dropFirst()
    }

    static func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }

    static func isCommitHash(_ text: String) -> Bool {
        text.utf8.count == 40 && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    static func uniqueSnapshot(prefix: String, in repo: String) -> String? {
        guard prefix.count >= 7, prefix.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }),
              let names = try? FilePaths.list(repo + "/snapshots") else { return nil }
        let matches = names.filter { isCommitHash($0) && $0.hasPrefix(prefix) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// "refs main, v1; snapshots 0123abc, 4567def" for error messages.
    static func cachedSummary(_ repo: String) -> String {
        let refs = (try? refNames(repo + "/refs", prefix: "")) ?? []
        let snapshots = ((try? FilePaths.list(repo + "/snapshots")) ?? []).map { String($0.prefix(7)) }
        let r = refs.isEmpty ? "no refs" : "refs " + refs.joined(separator: ", ")
        let s = snapshots.isEmpty ? "no snapshots" : "snapshots " + snapshots.joined(separator: ", ")
        return r + "; " + s
    }

    /// Ref names, with the "/" of nested ones such as `pr/1`.
    static func refNames(_ directory: String, prefix: String) throws -> [String] {
        try FilePaths.list(directory).flatMap { name -> [String] in
            let path = directory + "/" + name
            return FilePaths.isDirectory(path) ? try refNames(path, prefix: prefix + name + "/") : [prefix + name]
        }
    }

    /// The first file under `directory` (relative path) that is a symlink to nothing.
    static func firstDanglingLink(in directory: String) throws -> String? {
        for name in try FilePaths.list(directory) {
            let path = directory + "/" + name
            if FilePaths.isDirectory(path) {
                if let inner = try firstDanglingLink(in: path) { return name + "/" + inner }
            } else if !FilePaths.exists(path) {
                return name
            }
        }
        return nil
    }

    static func readSmallText(_ path: String) throws -> String {
        let file = try MappedFile(path: path)
        guard file.size <= 4096 else { throw SeedloraError(path: path, "is \(file.size) bytes, too large for a ref") }
        if file.size == 0 { return "" }
        return try file.withBytes(0..<file.size) { String(decoding: $0, as: UTF8.self) }
    }
}

private extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard hasPrefix(target) else { return self }
        return replacement + dropFirst(target.count)
    }

    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let c = scalars.first, c.isWhitespace { scalars.removeFirst() }
        while let c = scalars.last, c.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
