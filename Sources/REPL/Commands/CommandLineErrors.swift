import ArgumentParser
import Foundation

/// The argument parser's errors in seedlora's one error format: `seedlora: error: <message>`,
/// then the usage line and where to find help (the parser's own "Error:" prefix is dropped).
enum CommandLineErrors {
    static func render(_ error: Error) -> String {
        let full = SeedloraCommand.fullMessage(for: error)
        var message = SeedloraCommand.message(for: error)
        if message.hasPrefix("Error: ") { message = String(message.dropFirst("Error: ".count)) }
        var lines = ["seedlora: error: " + message.trimmingCharacters(in: .whitespacesAndNewlines)]
        // Keep the parser's usage and help hints, which follow the message.
        let rest = full.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .drop { !$0.hasPrefix("Usage:") && !$0.hasPrefix("Help:") }
        lines += rest.filter { !$0.isEmpty }
        return lines.joined(separator: "\n")
    }
}
