import Foundation
import Ops
import Testing
import TestSupport

/// The merge spaces, the subspace family, lambda and strength from the command line.
struct SubspaceCLITests {
    @Test func strategiesListsTheNewMethodsAndParameters() throws {
        let result = try CLIRunner.run(["strategies"])
        #expect(result.status == 0, "\(result.stderr)")
        for word in ["tsv", "iso_c", "iso_cts", "common_fraction", "strength", "space = full | core | knots", "lambda"] {
            #expect(result.stdout.contains(word), "seedlora strategies does not mention \(word)")
        }
    }

    @Test(arguments: [
        (["--method", "ties", "--param", "space=diagonal"], "space = 'diagonal': expected full or core or knots"),
        (["--method", "iso_cts", "--param", "common_fraction=1.5"], "common_fraction = '1.5': expected a number in"),
        (["--method", "seedlora", "--param", "strength=-1"], "strength = '-1': expected a number in [0.0, 1.0]"),
    ])
    func badValuesAreOneLineUsageErrors(_ arguments: [String], _ message: String) throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(["merge"] + arguments + Fixtures.seedPaths + ["--out", tmp + "/o"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count == 1, "one line: \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    /// `ties space=core` writes an exact LoRA of rank <= 24 without --rank.
    @Test func tiesInTheCoreSpaceExportsWithoutRank() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(["merge", "--method", "ties", "--param", "space=core", "--quiet"]
                                       + Fixtures.seedPaths + ["--out", tmp + "/o"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try PeftAdapter(directory: tmp + "/o").config.r <= 24)
    }
}
