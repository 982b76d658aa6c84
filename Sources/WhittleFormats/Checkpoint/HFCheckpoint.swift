import Foundation
import WhittleTensor

/// A checkpoint that cannot be opened as a whole: a missing file, a shard index that points
/// nowhere, an unreadable config. Messages name the file (and the tensor, when there is one).
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// What was wrong, naming the file.
    public let message: String
    /// An error with `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A Hugging Face model directory: config.json, weights in `model.safetensors` or in shards
/// listed by `model.safetensors.index.json`, and the tokenizer files beside them. Tensors
/// borrow the memory-mapped shards in their stored type (f32, f16, bf16).
public final class HFCheckpoint: @unchecked Sendable {
    /// The directory.
    public let directory: String
    /// config.json's bytes.
    public let configData: Data
    /// config.json as a JSON object.
    public let config: [String: Any]
    /// Shard file name for each tensor name.
    public let weightMap: [String: String]
    private let shards: [String: SafetensorsFile]

    /// Opens `directory`, mapping every shard and validating its header.
    public init(directory: String) throws {
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.directory = dir
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw CheckpointError("'\(dir)' is not a directory (a Hugging Face checkpoint is a directory with config.json and model.safetensors)")
        }
        let configPath = dir + "/config.json"
        guard let data = fm.contents(atPath: configPath) else {
            throw CheckpointError("\(configPath): missing (a Hugging Face checkpoint needs config.json)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError("\(configPath): not a JSON object")
        }
        configData = data
        config = object
        let single = dir + "/model.safetensors", indexPath = dir + "/model.safetensors.index.json"
        var map: [String: String] = [:]
        var files: [String: SafetensorsFile] = [:]
        if fm.fileExists(atPath: single) {
            let f = try HFCheckpoint.openShard(single)
            files["model.safetensors"] = f
            for e in f.entries { map[e.name] = "model.safetensors" }
        } else if let indexData = fm.contents(atPath: indexPath) {
            guard let index = (try? JSONSerialization.jsonObject(with: indexData)) as? [String: Any],
                  let wm = index["weight_map"] as? [String: String] else {
                throw CheckpointError("\(indexPath): needs a \"weight_map\" object of tensor name -> shard file")
            }
            for (name, shard) in wm.sorted(by: { $0.key < $1.key }) {
                guard !shard.contains("/") else { throw CheckpointError("\(indexPath): shard '\(shard)' for tensor '\(name)' is not a file in the directory") }
                if files[shard] == nil {
                    let path = dir + "/" + shard
                    guard fm.fileExists(atPath: path) else {
                        throw CheckpointError("\(indexPath): shard '\(shard)' (holding tensor '\(name)') is missing from \(dir)")
                    }
                    files[shard] = try HFCheckpoint.openShard(path)
                }
                guard files[shard]?.entry(named: name) != nil else {
                    throw CheckpointError("\(dir)/\(shard): tensor '\(name)' listed in model.safetensors.index.json is not in the shard")
                }
                map[name] = shard
            }
        } else {
            throw CheckpointError("\(dir): no model.safetensors or model.safetensors.index.json (only safetensors weights are supported)")
        }
        weightMap = map
        shards = files
    }

    private static func openShard(_ path: String) throws -> SafetensorsFile {
        do { return try SafetensorsFile.open(path) } catch let e as SafetensorsError {
            throw CheckpointError("\(path): \(e)")
        }
    }

    /// Tensor names, sorted.
    public var tensorNames: [String] { weightMap.keys.sorted() }

    /// The tensor `name` borrowing its shard, or nil when the checkpoint has none.
    public func tensor(named name: String) throws -> Tensor? {
        guard let shard = weightMap[name], let file = shards[shard] else { return nil }
        do { return try file.tensor(named: name) } catch let e as SafetensorsError {
            throw CheckpointError("\(directory)/\(shard): tensor '\(name)': \(e)")
        }
    }

    /// The shard file holding `name`, or the weights file(s) searched.
    public func location(of name: String) -> String {
        if let shard = weightMap[name] { return "\(directory)/\(shard)" }
        return shards.count == 1 ? "\(directory)/\(shards.keys.first ?? "model.safetensors")" : "\(directory)/model.safetensors.index.json"
    }

    /// The path of a file beside the weights when it exists (tokenizer.json, tokenizer_config.json...).
    public func file(_ name: String) -> String? {
        let p = directory + "/" + name
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }
}
