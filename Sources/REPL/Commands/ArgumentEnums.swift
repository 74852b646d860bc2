import ArgumentParser
import Plugins

// The closed option values of `seedlora merge`: ArgumentParser parses them, lists them in --help
// and refuses anything else with "Please provide one of ...".

extension MergeRequest.Format: ExpressibleByArgument {}

extension ExportDType: ExpressibleByArgument {
    public init?(argument: String) { self.init(userName: argument) }
}
