import Ops
import Plugins
import Testing

/// `--sweep` values: ranges robust to binary rounding, lists, grids in nested-loop order.
struct SweepGridTests {
    func values(_ option: String) throws -> [String] { try SweepGrid.parseAxis(option).values }

    @Test func rangesIncludeTheStopDespiteRounding() throws {
        #expect(try values("lambda=0.25:2:0.25") == ["0.25", "0.5", "0.75", "1", "1.25", "1.5", "1.75", "2"])
        // 0.1 + 0.2 is 0.30000000000000004 and 0.3 / 0.1 is 2.9999999999999996 in binary.
        #expect(try values("lambda=0.1:0.3:0.1") == ["0.1", "0.2", "0.3"])
        #expect(try values("lambda=0:1:0.1").count == 11)
        #expect(try values("lambda=0:1:0.1").last == "1")
        #expect(try values("lambda=2:0.5:-0.5") == ["2", "1.5", "1", "0.5"])
        #expect(try values("lambda=0:1:0.3") == ["0", "0.3", "0.6", "0.9"])
        #expect(try values("lambda=1e-3:3e-3:1e-3") == ["0.001", "0.002", "0.003"])
        #expect(try values("lambda = 1:1:1") == ["1"])
    }

    @Test func listsKeepTheTextGiven() throws {
        #expect(try values("lambda=0.5, 1,2.0") == ["0.5", "1", "2.0"])
        #expect(try values("weights=1,1,2;1,2,1") == ["1,1,2", "1,2,1"])
        #expect(try values("space=full,core") == ["full", "core"])
    }

    @Test func gridsVaryTheFirstAxisSlowest() throws {
        let grid = try SweepGrid(options: ["density=0.2,0.5", "lambda=1,2,3"])
        let points = grid.points.map(SweepGrid.directoryName)
        #expect(points == ["density=0.2,lambda=1", "density=0.2,lambda=2", "density=0.2,lambda=3",
                           "density=0.5,lambda=1", "density=0.5,lambda=2", "density=0.5,lambda=3"])
        #expect(SweepGrid.indices([2, 1]) == [[0, 0], [1, 0]])
    }

    @Test func badSpecificationsAreUsageErrorsNamingTheParameter() {
        for (option, fragment) in [("lambda=1:2:0", "the step is 0"), ("lambda=2:1:0.5", "away from the stop"),
                                   ("lambda=1:2", "three numbers"), ("lambda=a:2:1", "'a' is not a number"),
                                   ("lambda", "takes name=value"), ("lambda=", "has no values"), ("lambda=1,,2", "empty value"),
                                   ("lambda=0:1000:0.001", "at most 10000")] {
            #expect {
                _ = try SweepGrid.parseAxis(option)
            } throws: { error in
                guard let e = error as? SeedloraError else { return false }
                return e.kind == .usage && e.message.contains(fragment)
            }
        }
        #expect {
            _ = try SweepGrid(options: ["lambda=1", "lambda=2"])
        } throws: { error in (error as? SeedloraError)?.message == "--sweep sets 'lambda' twice" }
    }

    @Test func planSharesOneLambdaFreeMergePerOtherParameters() throws {
        let entry = try StrategyRegistry.entry(named: "ties")
        let grid = try SweepGrid(options: ["density=0.2,0.5", "lambda=0.5,1,1.5"])
        let plan = try SweepPlan(entry: entry, fixed: [], grid: grid, inputCount: 3, seed: 0)
        #expect(plan.points.count == 6)
        #expect(plan.groups.map(\.points) == [[0, 1, 2], [3, 4, 5]])
        #expect(plan.lambdas == [0.5, 1, 1.5, 0.5, 1, 1.5])
        #expect {
            _ = try SweepPlan(entry: entry, fixed: [], grid: try SweepGrid(options: ["lamda=1,2"]), inputCount: 3, seed: 0)
        } throws: { error in
            let message = (error as? SeedloraError)?.message ?? ""
            return message.hasPrefix("--sweep lamda: ties has no parameter 'lamda'") && message.contains("lambda")
        }
        #expect(throws: SeedloraError.self) {
            _ = try SweepPlan(entry: entry, fixed: [("lambda", "1")], grid: try SweepGrid(options: ["lambda=1,2"]), inputCount: 3, seed: 0)
        }
    }
}
