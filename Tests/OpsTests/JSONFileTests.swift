import Foundation
import Ops
import Testing
import TestSupport

/// `JSON.read(path:)`, the one way files are read as JSON, and `JSON.indexValue` (`Int(exactly:)`).
struct JSONFileTests {
    @Test func readsAndNamesTheFileOnError() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        try Data("{\"a\": [1, 2]}".utf8).write(to: URL(fileURLWithPath: tmp + "/good.json"))
        try Data("{\"a\": [1, 2}".utf8).write(to: URL(fileURLWithPath: tmp + "/bad.json"))
        #expect(try JSON.read(path: tmp + "/good.json")["a"]?.arrayValue?.count == 2)
        let error = try #require(throws: SeedloraError.self) { try JSON.read(path: tmp + "/bad.json") }
        #expect(error.path == tmp + "/bad.json")
        #expect(error.message.hasPrefix("not valid JSON: invalid JSON at byte 11"), "\(error.message)")
        #expect(throws: SeedloraError.self) { try JSON.read(path: tmp + "/missing.json") }
    }

    @Test func indexValueIsExact() {
        #expect(JSON.number(3).indexValue == 3)
        #expect(JSON.number(0).indexValue == 0)
        for refused in [1.5, -1, 1e300, .nan, .infinity, 1e16] { #expect(JSON.number(refused).indexValue == nil, "\(refused)") }
    }
}
