/// Every encoding `Model.load` knows without registration, by format id. Helpers adding a
/// format (CSR, codebook) append their entry here, one line each.
extension EncodingRegistry {
    static let builtinDecoders: [String: EncodingDecoder] = [
        "int8": { try Int8Encoding.decode($0) },
        "q8_0": { try BlockEncoding.decode($0, kind: .q8_0) },
        "q4_0": { try BlockEncoding.decode($0, kind: .q4_0) },
        "int4": { try Int4Encoding.decode($0) },
        "codebook": { try CodebookEncoding.decode($0) },
        "csr": { try CSREncoding.decode($0) },
    ]
}
