import Foundation
import Ops
import Testing
import TestSupport

/// `seedlora merge --sweep`: one export per point, each with the bits of a single merge, and sweep.csv.
struct SweepCommandTests {
    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func csvRows(_ path: String) throws -> [[String]] {
        try Fixtures.readText(path).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func eightLambdasGiveEightSingleMergesBitForBit() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let out = tmp + "/sweep"
        let result = try CLIRunner.run(["merge", "--method", "task_arithmetic"] + Fixtures.seedPaths
            + ["--out", out, "--sweep", "lambda=0.25:2:0.25"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("over 8 points with task_arithmetic") && result.stderr.contains("1 lambda-free merge"))
        let lambdas = ["0.25", "0.5", "0.75", "1", "1.25", "1.5", "1.75", "2"]
        let entries = Set(try FileManager.default.contentsOfDirectory(atPath: out))
        #expect(entries == Set(lambdas.map { "lambda=\($0)" } + ["sweep.csv"]))
        let rows = try csvRows(out + "/sweep.csv")
        #expect(rows.first == ["lambda", "directory", "norm", "rank"])
        #expect(rows.count == 9)
        for (lambda, row) in zip(lambdas, rows.dropFirst()) {
            let single = tmp + "/single" + lambda
            let one = try CLIRunner.run(["merge", "--method", "task_arithmetic"] + Fixtures.seedPaths
                + ["--out", single, "--param", "lambda=" + lambda, "--quiet"])
            #expect(one.status == 0, "\(one.stderr)")
            let point = out + "/lambda=" + lambda
            #expect(try bytes(point + "/adapter_model.safetensors") == bytes(single + "/adapter_model.safetensors"), "lambda \(lambda)")
            // The CSV row: the value, the directory, the norm of what was written (f32 factors), the rank.
            #expect(row[0] == lambda && row[1] == "lambda=" + lambda)
            let adapter = try PeftAdapter(directory: point)
            let norm = adapter.modules.reduce(0.0) { $0 + $1.delta.moments().sumOfSquares }.squareRoot()
            let csvNorm = try #require(Double(row[2]))
            #expect(Compare.relative(csvNorm, norm) <= 1e-6, "\(csvNorm) vs \(norm)")
            #expect(row[3] == "\(adapter.config.r)" && adapter.config.r == 24)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).filter { $0.hasPrefix(".") }.isEmpty)
    }

    @Test func denseGridWithRankMatchesSingleMerges() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let out = tmp + "/grid"
        let result = try CLIRunner.run(["merge", "--method", "ties", "--rank", "6"] + Fixtures.seedPaths
            + ["--out", out, "--sweep", "density=0.2,0.5", "--sweep", "lambda=0.6,1.4"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("2 lambda-free merges"))
        let rows = try Fixtures.readText(out + "/sweep.csv").split(separator: "\n").map(String.init)
        #expect(rows.count == 5 && rows[0] == "density,lambda,directory,norm,rank")
        #expect(rows[2].hasPrefix("0.2,1.4,\"density=0.2,lambda=1.4\","))
        for (density, lambda) in [("0.2", "1.4"), ("0.5", "0.6")] {
            let single = tmp + "/d\(density)l\(lambda)"
            let one = try CLIRunner.run(["merge", "--method", "ties", "--rank", "6"] + Fixtures.seedPaths
                + ["--out", single, "--param", "density=" + density, "--param", "lambda=" + lambda, "--quiet"])
            #expect(one.status == 0, "\(one.stderr)")
            let point = "\(out)/density=\(density),lambda=\(lambda)"
            #expect(try bytes(point + "/adapter_model.safetensors") == bytes(single + "/adapter_model.safetensors"))
        }
    }

    @Test func unknownParameterIsAOneLineUsageError() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(["merge", "--method", "ties", "--rank", "4"] + Fixtures.seedPaths
            + ["--out", tmp + "/x", "--sweep", "lamda=1,2"])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("--sweep lamda: ties has no parameter 'lamda'") && result.stderr.contains("its parameters: weights, density, lambda"))
        let bad = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", tmp + "/y", "--sweep", "lambda=1:2:0"])
        #expect(bad.status == 2 && bad.stderr.contains("the step is 0"), "\(bad.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    @Test func existingOutputIsReplacedOnlyWithForceAndFailuresLeaveNothing() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let out = tmp + "/sweep"
        try FilePaths.makeDirectories(out)
        let refused = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", out, "--sweep", "lambda=0.5,1"])
        #expect(refused.status == 1 && refused.stderr.contains("output already exists"), "\(refused.stderr)")
        let forced = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", out, "--sweep", "lambda=0.5,1", "--force", "--quiet"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == ["lambda=0.5", "lambda=1", "sweep.csv"])
        // A point that fails (rank 25 > --max-rank 8) stops the sweep; no partial output is left.
        let failed = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", tmp + "/failed", "--max-rank", "8", "--sweep", "lambda=0.5,1"])
        #expect(failed.status == 1 && failed.stderr.contains("--max-rank is 8"), "\(failed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp) == ["sweep"])
    }
}
