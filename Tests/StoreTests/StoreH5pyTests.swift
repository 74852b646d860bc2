import Foundation
import Ops
import Testing
import TestSupport

/// A python3 that imports h5py: the system's if it has h5py, else one with a private package
/// directory under `.build/` filled from PyPI by `pip install --target` on first use (`--target`
/// works on Debian's externally managed python too, and touches nothing outside the build tree).
enum PythonWithH5py {
    static let packages = Fixtures.root + "/.build/store-tests-python"

    /// Found (or installed) once per test process; concurrent callers wait for the first.
    private static let found = Result { try find() }

    static func environment() throws -> [String: String] { try found.get() }

    private static func find() throws -> [String: String] {
        func importsH5py(_ environment: [String: String]) -> Bool {
            (try? runProcess("/usr/bin/env", ["python3", "-c", "import h5py"], environment: environment))?.status == 0
        }
        if importsH5py([:]) { return [:] }
        let withPackages = ["PYTHONPATH": packages]
        if importsH5py(withPackages) { return withPackages }
        let staging = packages + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        FilePaths.removeTree(staging)
        let install = try runProcess("/usr/bin/env", ["python3", "-m", "pip", "install", "--quiet", "--no-input",
                                                      "--disable-pip-version-check", "--target", staging, "h5py"])
        guard install.status == 0 else {
            FilePaths.removeTree(staging)
            throw SeedloraError(.io, "pip could not install h5py (exit \(install.status)): \(install.stderr)")
        }
        FilePaths.removeTree(packages)
        guard rename(staging, packages) == 0, importsH5py(withPackages) else {
            throw SeedloraError(.io, path: packages, "h5py was installed but python3 cannot import it")
        }
        return withPackages
    }
}

@Suite struct StoreH5pyTests {
    static let script = Fixtures.root + "/Tests/StoreTests/read_store.py"

    /// Writes every kind, then reads the store with h5py and no seedlora code (from another
    /// working directory, so external links must resolve relative to index.h5) and checks what
    /// h5py sees: links, kinds, dtypes, shapes, filters, dimension labels, attribute types, bytes.
    @Test func h5pyReadsEveryDatasetAndAttributeKind() throws {
        let environment = try PythonWithH5py.environment()
        let t = try TemporaryStore()
        let first = try t.store.commit(cell: record(0, "setup"), values: [("x", .integer(1)), ("shadowed", .integer(0))],
                                       time: "2025-03-01T00:00:00Z")
        let parameters = JSON.object([("rank", .number(8)), ("note", .string(String(repeating: "λ", count: 40_000)))])
        let cell = try t.store.commit(cell: record(7, "all kinds / σ", parameters: parameters),
                                      values: Samples.values + [("shadowed", .integer(5))], time: "2025-03-01T00:00:01Z")
        let output = try runProcess("/usr/bin/env", ["python3", Self.script, t.path + "/index.h5"],
                                    environment: environment, directory: "/")
        try #require(output.status == 0, "read_store.py failed: \(output.stderr)")
        let json = try JSON.parse(output.stdout)
        print("h5py \(json["h5py"]?.stringValue ?? "?") with HDF5 \(json["hdf5"]?.stringValue ?? "?") read the store")

        #expect(json["cell_order"] == .array([.string("00_setup"), .string("07_all kinds _ σ")]))
        #expect(json["root_attrs"]?["seedlora_kind"] == str("store"))
        #expect(json["manifest"]?["encoding"] == .string("utf-8"))

        // Provenance: text attributes are `str`, numbers int64; long text is a `.NAME` dataset.
        let cellJSON = try #require(json["cells"]?["07_all kinds _ σ"])
        let attrs = try #require(cellJSON["attrs"])
        #expect(attrs["script_path"] == str("analysis.seed"))
        #expect(attrs["cell_index"] == int(7))
        #expect(attrs["cell_title"] == str("all kinds / σ"))
        #expect(attrs["source_hash"] == str("sha256:source7"))
        #expect(attrs["input_hashes"] == str(#"{"a":"sha256:a7"}"#))
        #expect(attrs["parameters"] == nil)
        #expect(cellJSON["long_text"]?["parameters"] == .string(parameters.serialized()))
        #expect(attrs["seedlora_version"] == str(SeedloraVersion.string))
        #expect(attrs["time"] == str("2025-03-01T00:00:01Z"))
        #expect(attrs["commit"] == int(1))
        #expect(attrs["objects_file"] == str(cell.objectsFile))
        #expect(json["cells"]?["00_setup"]?["attrs"]?["parameters"] == str("{}"))

        // Every value, through the cell's links and through /latest.
        for (name, value) in Samples.values {
            for entry in [cellJSON["values"]?[name], json["latest"]?[name]] {
                let entry = try #require(entry, "h5py does not see \(name)")
                #expect(entry["link"] == .string("external"))
                #expect(entry["file"] == .string(cell.objectsFile))
                #expect(entry["path"] == .string("/" + name))
                try check(try #require(entry["node"]), value, name)
            }
        }
        #expect(json["latest"]?["shadowed"]?["file"] == .string(cell.objectsFile))
        #expect(json["latest"]?["x"]?["file"] == .string(first.objectsFile))
    }

    /// A reader can open the store while a writer commits: the writer never opens index.h5 for
    /// writing and replaces it by rename, so h5py always finds a complete index whose links resolve.
    @Test func h5pyReadsWhileAWriterCommits() throws {
        let environment = try PythonWithH5py.environment()
        let directory = try Fixtures.temporaryDirectory("seedlora-live")
        defer { FilePaths.removeTree(directory) }
        let storePath = directory + "/live.seedstore", logPath = directory + "/commits.log"
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: builtExecutable("StoreStress"))
        writer.arguments = [storePath, logPath]
        try writer.run()
        defer { kill(writer.processIdentifier, SIGKILL); writer.waitUntilExit() }
        let deadline = Date().addingTimeInterval(20)
        while !FilePaths.exists(logPath), writer.isRunning, Date() < deadline { usleep(2_000) }
        for read in 0..<2 {
            let output = try runProcess("/usr/bin/env", ["python3", Self.script, storePath + "/index.h5"],
                                        environment: environment, directory: "/")
            try #require(output.status == 0, "read \(read) during commits failed: \(output.stderr)")
            let json = try JSON.parse(output.stdout)
            let counter = try #require(json["latest"]?["counter"]?["node"]?["hex"]?.stringValue)
            #expect(counter.count == 16, "read \(read): latest/counter is \(counter)")
            #expect((json["cell_order"]?.arrayValue?.count ?? 0) >= 1)
        }
        #expect(writer.isRunning, "the writer stopped while h5py read the store")
    }

    private func str(_ s: String) -> JSON { .object([("type", .string("str")), ("value", .string(s))]) }
    private func int(_ n: Int64) -> JSON { .object([("type", .string("int64")), ("value", .string(String(n)))]) }

    private func hex<T>(_ values: [T]) -> String {
        values.withUnsafeBytes { $0.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined() }
    }

    /// Checks what h5py reported for one object against the value written.
    private func check(_ node: JSON, _ value: StoreValue, _ name: String) throws {
        let kind = node["attrs"]?["seedlora_kind"]
        #expect(kind == str(value.kind.rawValue), "\(name): seedlora_kind \(String(describing: kind))")
        switch value {
        case let .integer(n):
            #expect(node["dtype"] == .string("int64") && node["shape"] == .array([]) && node["hex"] == .string(hex([n])), "\(name)")
        case let .number(x):
            #expect(node["dtype"] == .string("float64") && node["hex"] == .string(hex([x])), "\(name)")
        case let .bool(b):
            #expect(node["dtype"] == .string("bool") && node["bool"] == .bool(b), "\(name)")
        case let .string(text):
            #expect(node["encoding"] == .string("utf-8") && node["text"] == .string(text), "\(name)")
        case let .tensor(tensor, dimensions):
            #expect(node["dtype"] == .string("float32"), "\(name)")
            #expect(node["shape"] == .array(tensor.shape.map { .number(Double($0)) }), "\(name)")
            #expect(node["hex"] == .string(hex(tensor.data)), "\(name): bytes differ")
            let compressed = tensor.count * 4 > 64 * 1024
            #expect(node["compression"] == (compressed ? .string("gzip") : .null), "\(name)")
            #expect(node["shuffle"] == .bool(compressed), "\(name)")
            if let dimensions {
                #expect(node["attrs"]?["dims"]?["value"] == .array(dimensions.map(str)), "\(name)")
                if !tensor.shape.isEmpty { #expect(node["labels"] == .array(dimensions.map { .string($0) }), "\(name)") }
            }
        case let .table(table):
            #expect(node["object"] == .string("group"), "\(name)")
            #expect(node["attrs"]?["columns"]?["value"] == .array(table.columns.map { str($0.name) }), "\(name)")
            #expect(node["attrs"]?["rows"] == int(Int64(table.rowCount)), "\(name)")
            for column in table.columns {
                let member = try #require(node["members"]?[column.name], "\(name): no column \(column.name)")
                #expect(member["attrs"]?["seedlora_kind"] == str("column"))
                switch column.values {
                case let .numbers(v): #expect(member["dtype"] == .string("float64") && member["hex"] == .string(hex(v)), "\(name)")
                case let .integers(v): #expect(member["dtype"] == .string("int64") && member["hex"] == .string(hex(v)), "\(name)")
                case let .strings(v): #expect(member["text"] == .array(v.map { .string($0) }), "\(name)")
                }
            }
        case let .list(items):
            #expect(node["object"] == .string("group"), "\(name)")
            #expect(node["attrs"]?["length"] == int(Int64(items.count)), "\(name)")
            #expect(node["order"] == .array(items.indices.map { .string(String($0)) }), "\(name): member order")
            for (index, item) in items.enumerated() {
                try check(try #require(node["members"]?[String(index)], "\(name): no member \(index)"), item, "\(name)/\(index)")
            }
        }
    }
}
