import ArgumentParser
import Foundation
import WhittleFormats

/// `whittle inspect FILE`: what a safetensors file holds, validated like the reference reader.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the tensors, metadata and (for a Whittle model) layers of a safetensors file.",
        discussion: """
        The file is fully validated first; a malformed file exits non-zero with the reason.
        Works on any safetensors file, including those written by the Python `safetensors` package.
        Example:
          whittle inspect Models/lenet-300-100.safetensors
        """
    )

    @Argument(help: ArgumentHelp("The .safetensors file.", valueName: "FILE"))
    var file: String

    func run() throws {
        do {
            let f = try SafetensorsFile.open(file)
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            print(try SafetensorsReport.render(f, fileBytes: size), terminator: "")
        } catch let e as CustomStringConvertible & Error {
            throw InspectError(description: "\(file): \(e.description)")
        }
    }
}

/// The reason `whittle inspect` failed, printed by ArgumentParser.
struct InspectError: Error, CustomStringConvertible {
    let description: String
}
