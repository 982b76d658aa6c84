import Foundation
import WhittleFormats
import WhittleTensor

extension Model {
    /// Metadata key holding the architecture JSON.
    public static let architectureKey = "whittle.architecture"
    /// Metadata key holding the writer's version.
    public static let versionKey = "whittle.version"

    /// Writes the parameters and the architecture to a safetensors file (atomically).
    /// Masks are not stored: pruned entries are zeros in the file. Encoded parameters are stored
    /// in their compact form, described under "whittle.compression" (see `CompressionMetadata`).
    public func save(to path: String, version: String = "0.1.0") throws {
        var meta = metadata
        for (k, v) in provenance.metadata(version: version) { meta[k] = v }
        meta[Model.architectureKey] = architectureJSON
        meta[Model.versionKey] = version
        let (unique, tied) = uniqueParameters()
        let (tensors, compression) = try CompressionMetadata.encode(unique, activations: activationQuantizations())
        meta[CompressionMetadata.key] = compression
        meta[Model.tiedKey] = Model.tiedJSON(tied)
        let names = tensors.map(\.name)
        guard Set(names).count == names.count else {
            throw NNError.invalidModel("save: two tensors share a name (\(names.joined(separator: ", ")))")
        }
        try Safetensors.write(tensors, metadata: meta, to: path)
    }

    /// Rebuilds a model saved by `save`: the layers from the metadata, the parameters from the tensors.
    public static func load(_ path: String) throws -> Model {
        let file = try SafetensorsFile.open(path)
        guard let json = file.metadata[architectureKey] else {
            throw NNError.invalidModel("\(path): not a Whittle model (no '\(architectureKey)' in the metadata; it holds \(file.entries.count) tensors)")
        }
        var used = Set<String>()
        let compression = try CompressionMetadata.parse(file.metadata[CompressionMetadata.key])
        var encodings: [(String, ParameterEncoding, Tensor)] = []
        let tied = try parseTied(file.metadata[tiedKey])
        let root = try Architecture.decode(json) { requested in
            let name = tied[requested] ?? requested
            if let fields = compression.parameters[name] {
                let e = try CompressionMetadata.decodeEntry(name: name, fields: fields) { full in
                    guard file.entry(named: full) != nil else { return nil }
                    used.insert(full)
                    return try file.tensor(named: full)
                }
                let dense = try e.decode()
                encodings.append((name, e, dense))
                return dense
            }
            guard file.entry(named: name) != nil else { return nil }
            used.insert(name)
            return try file.tensor(named: name)
        }
        if let extra = file.entries.map(\.name).first(where: { !used.contains($0) }) {
            throw NNError.invalidModel("\(path): tensor '\(extra)' is not used by any layer of the architecture")
        }
        var meta = file.metadata
        meta[architectureKey] = nil
        meta[versionKey] = nil
        meta[CompressionMetadata.key] = nil
        meta[tiedKey] = nil
        for k in Provenance.keys { meta[k] = nil }
        let model = Model(root, metadata: meta)
        model.provenance = Provenance(source: (path as NSString).lastPathComponent, files: [path])
        try model.attach(encodings: encodings, activations: compression.activations, path: path)
        try model.retie(tied)
        return model
    }
}
