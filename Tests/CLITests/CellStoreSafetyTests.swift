import Foundation
import Ops
import Testing
import TestSupport

/// The cell runner under SIGKILL, and its stores read by h5py alone.
@Suite struct CellStoreSafetyTests {
    /// 12 cells, each committing a 192 x 192 tensor variable, a saved tensor and a statistics dict.
    static var heavyScript: String {
        (0..<12).map { k in
            "#%% cell \(k)\nt\(k) = randn([192, 192], seed=\(k))\nsave(t\(k) * 2, \"heavy/t\(k)\")\ns\(k) = stat(t\(k))\n"
        }.joined()
    }

    /// Kills `seedlora run --fresh` at 20 random moments; after each kill the store opens and every
    /// committed cell's values are bit-identical to those of an uninterrupted reference run.
    @Test func sigkillAtTwentyRandomMomentsLeavesCommittedCellsIntact() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-cellkill")
        defer { FilePaths.removeTree(dir) }
        let script = dir + "/heavy.seed"
        try Self.heavyScript.write(toFile: script, atomically: true, encoding: .utf8)
        let start = Date()
        let reference = try CLIRunner.run(["run", script, "--store", dir + "/reference"])
        try #require(reference.status == 0, "\(reference.stderr)")
        let duration = Date().timeIntervalSince(start)
        let referenceStore = try ResultStore(path: dir + "/reference", create: false)
        var expected: [String: StoreValue] = [:]
        for cell in try referenceStore.cells() {
            for value in cell.values { expected["\(cell.record.index) \(value.name)"] = try referenceStore.load(cell: cell.record.index, name: value.name) }
        }

        var seed = UInt64(ProcessInfo.processInfo.environment["SEEDLORA_KILL_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...9999))
        let firstSeed = seed
        var killedWhileRunning = 0, checkedCells = 0
        for round in 0..<20 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let delay = Double(seed >> 11) / Double(1 << 53) * duration
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLIRunner.executable)
            process.arguments = ["run", script, "--store", dir + "/killed", "--fresh"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(delay * 1_000_000))
            if process.isRunning { killedWhileRunning += 1 }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            guard FilePaths.exists(dir + "/killed/index.h5") else { continue }
            let store = try ResultStore(path: dir + "/killed")
            for cell in try store.cells() {
                for value in cell.values {
                    let got = try store.load(cell: cell.record.index, name: value.name)
                    let want = try #require(expected["\(cell.record.index) \(value.name)"], "cell \(cell.record.index) \(value.name) is not in the reference")
                    #expect(got.isIdentical(to: want), "round \(round) (seed \(firstSeed)): cell \(cell.record.index) \(value.name)")
                    checkedCells += 1
                }
            }
        }
        print("cell kill test (seed \(firstSeed)): 20 kills, \(killedWhileRunning) while running, \(checkedCells) values checked")
        #expect(killedWhileRunning >= 10)
        // The killed store still works: a run afterwards completes and restores what it can.
        let after = try CLIRunner.run(["run", script, "--store", dir + "/killed"])
        #expect(after.status == 0 && after.stderr.contains("cached"), "\(after.stderr)")
    }

    /// A store written by `seedlora run` (every kind of cell variable, a save, a figure's data,
    /// the output records and provenance) read with h5py and no seedlora code.
    @Test func h5pyReadsARunnerStore() throws {
        guard let environment = Self.h5pyEnvironment() else {
            print("h5py is not available (StoreTests installs it into .build/store-tests-python); skipped")
            return
        }
        let dir = try Fixtures.temporaryDirectory("seedlora-cellh5")
        defer { FilePaths.removeTree(dir) }
        let script = dir + "/kinds.seed"
        try """
            #%% values
            i = 7
            x = 0.25
            b = true
            s = "σ text"
            t = tensor([[1, 2], [3, 4]])
            l = [1, "two", [3.0]]
            d = {"k": 1, "j": "v"}
            a = load("\(Fixtures.adapter("taskA_seed42"))")
            st = stat(a)
            #%% saved
            save(t * 2, "fig/t2")
            plot("bar", x=["p", "q"], y={"s": [1, 2]}, file="\(dir)/figs/bars.png")
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let run = try CLIRunner.run(["run", script])
        try #require(run.status == 0, "\(run.stderr)")
        let python = """
            import json, sys, h5py
            out = {}
            with h5py.File(sys.argv[1], "r") as f:
                def visit(name, obj):
                    kind = obj.attrs.get("seedlora_kind")
                    out[name] = {"kind": kind if isinstance(kind, str) else str(kind),
                                 "attrs": sorted(obj.attrs.keys())}
                    if isinstance(obj, h5py.Dataset):
                        v = obj.asstr()[()] if h5py.check_string_dtype(obj.dtype) else obj[()]
                        out[name]["value"] = v.tolist() if hasattr(v, "tolist") else v
                for cell in f["cells"].values():
                    for key, value in cell.attrs.items():
                        out.setdefault("provenance", {})[key] = value if isinstance(value, str) else int(value)
                def walk(group, prefix):
                    for key in group:
                        obj = group[key]   # follows the external link into the objects file
                        visit(prefix + key, obj)
                        if isinstance(obj, h5py.Group):
                            walk(obj, prefix + key + "/")
                walk(f["latest"], "")
            print(json.dumps(out, default=str).replace("NaN", "null"))  # error bars are NaN when absent
            """
        let result = try Self.runPython(python, [dir + "/kinds.seedstore/index.h5"], environment: environment)
        try #require(result.status == 0, "\(result.stderr)")
        let json = try JSON.parse(result.stdout)
        #expect(json["vars/i"]?["value"] == .number(7))
        #expect(json["vars/x"]?["value"] == .number(0.25))
        #expect(json["vars/b"]?["value"] == .bool(true))
        #expect(json["vars/s"]?["value"] == .string("σ text"))
        #expect(json["vars/t"]?["value"] == .array([.array([.number(1), .number(2)]), .array([.number(3), .number(4)])]))
        #expect(json["vars/l"]?["kind"] == .string("list"))
        #expect(json["vars/d"]?["kind"] == .string("list"))
        #expect(json["vars/a/0"]?["value"] == .string(FilePaths.absolute(Fixtures.adapter("taskA_seed42"))))
        #expect(json["vars/st"]?["kind"] == .string("list"))
        #expect(json["fig/t2"]?["kind"] == .string("tensor"))
        #expect(json["figures/bars/bars/value"]?["kind"] == .string("column"))
        #expect(json["figures/bars/path"]?["value"] == .string(dir + "/figs/bars.png"))
        #expect(json["run/0/outputs"]?["kind"] == .string("table"))
        #expect(json["run/1/stdout"]?["kind"] == .string("string"))
        let provenance = try #require(json["provenance"])
        for key in ["script_path", "cell_index", "cell_title", "source_hash", "input_hashes", "parameters",
                    "seedlora_version", "time", "commit", "objects_file"] {
            #expect(provenance[key] != nil, "provenance attribute \(key)")
        }
        #expect(provenance["input_hashes"]?.stringValue?.contains("var:t") == true)
    }

    /// The system's h5py, the one StoreTests installs, or our own `pip install --target` copy.
    static func h5pyEnvironment() -> [String: String]? {
        let own = Fixtures.root + "/.build/cells-tests-python"
        let candidates = [[:], ["PYTHONPATH": Fixtures.root + "/.build/store-tests-python"], ["PYTHONPATH": own]]
        for environment in candidates where (try? runPython("import h5py", [], environment: environment))?.status == 0 {
            return environment
        }
        let install = "import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet', "
            + "'--no-input', '--disable-pip-version-check', '--target', sys.argv[1], 'h5py']))"
        guard (try? runPython(install, [own], environment: [:]))?.status == 0 else { return nil }
        return (try? runPython("import h5py", [], environment: ["PYTHONPATH": own]))?.status == 0 ? ["PYTHONPATH": own] : nil
    }

    static func runPython(_ code: String, _ arguments: [String], environment: [String: String]) throws -> CLIRunner.Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", code] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIRunner.Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                                stderr: String(decoding: errData, as: UTF8.self))
    }
}
