import ArgumentParser
import Foundation
import WhittleFormats

/// `whittle inspect FILE`: what a safetensors or GGUF file holds, validated like the reference readers.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the tensors and metadata of a safetensors or GGUF file (and a Whittle model's layers).",
        discussion: """
        The file is fully validated first; a malformed file exits non-zero with the reason.
        Works on any safetensors file, including those written by the Python `safetensors` package,
        and on GGUF files (llama.cpp, gguf-py): header, metadata with long arrays elided, each
        tensor's type, shape, bytes and offset, totals by type and the effective bits per weight.
        Examples:
          whittle inspect Models/lenet-300-100.safetensors
          whittle inspect model.Q4_K_M.gguf
          whittle inspect exported-model/     (config, tensors, tokenizer, provenance)
        """
    )

    @Argument(help: ArgumentHelp("The .safetensors or .gguf file, or a Hugging Face model directory.", valueName: "FILE"))
    var file: String

    func run() throws {
        do {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDir), isDir.boolValue {
                print(try HFCheckpointReport.render(try HFCheckpoint(directory: file)), terminator: "")
                return
            }
            if try isGGUF(file) {
                let g = try GGUFFile.open(file)
                print(GGUFReport.render(g), terminator: "")
                print("\n" + ProvenanceReport.render(ProvenanceReport.strings(g.metadata)), terminator: "")
                return
            }
            let f = try SafetensorsFile.open(file)
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            print(try SafetensorsReport.render(f, fileBytes: size), terminator: "")
            print("\n" + ProvenanceReport.render(f.metadata), terminator: "")
        } catch let e as CustomStringConvertible & Error {
            throw InspectError(description: "\(file): \(e.description)")
        }
    }
}

/// True when the file starts with GGUF's magic (or is named .gguf, so a broken one gets GGUF's error).
private func isGGUF(_ path: String) throws -> Bool {
    if path.lowercased().hasSuffix(".gguf") { return true }
    let map = try MappedFile(path: path)
    return map.count >= 4 && Array(map.buffer.prefix(4)) == Array("GGUF".utf8)
}

/// The reason `whittle inspect` failed, printed by ArgumentParser.
struct InspectError: Error, CustomStringConvertible {
    let description: String
}
