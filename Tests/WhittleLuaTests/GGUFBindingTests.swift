import Foundation
import WhittleLua
import XCTest

/// `whittle.gguf` and `whittle.imatrix`, on the committed fixtures of WhittleFormatsTests.
final class GGUFBindingTests: XCTestCase {
    private func fixture(_ name: String, file: String = #filePath) -> String {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WhittleFormatsTests/Fixtures/\(name)").path
    }

    private func eval(_ code: String) throws -> String {
        try LuaState().run(code, name: "=test").joined(separator: "\t")
    }

    private func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-gguf-lua-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testOpenGivesMetadataTypesInfoAndLazyTensors() throws {
        let code = """
        local g = whittle.gguf.open("\(fixture("gguf_all_types.gguf"))")
        local n = 0
        for name, t in pairs(g.tensors) do n = n + 1 end
        local ok, err = pcall(function() return g.tensors["iq2_xxs.weight"] end)
        return g.version, g.metadata["test.u32"], g.types["test.u32"], g.types["test.arr_str"], g.metadata["test.arr_str"][4],
               #g.keys, g.keys[2], g.info[3].name, tostring(g.info[3].shape), g.info[13].type,
               g.tensors["f32.matrix"]:get(1, 2), g.tensors["q4_0.weight"].dtype, tostring(g.tensors["q4_0.weight"].shape),
               g.tensors["nope"] == nil, n, err, g.types["test.arr_nested"]
        """
        XCTAssertEqual(try eval(code), ["3", "4000000000", "u32", "arr[str]", "<0x0A>", "28", "test.u8", "f32.cube", "(2, 3, 4)",
                                        "q4_K", "-1.5", "q4_0", "(2, 64)", "true", "14",
                                        "test:4: gguf._index: gguf: tensor 'iq2_xxs.weight' has type IQ2_XXS, which Whittle cannot load",
                                        "arr[arr[i32]]"].joined(separator: "\t"))
    }

    func testRewriteThroughLuaIsByteIdentical() throws {
        let dir = try tempDir()
        for name in ["gguf_align64.gguf", "whittle_written.gguf"] {
            let out = dir + "/" + name
            _ = try eval("""
            local g = whittle.gguf.open("\(fixture(name))")
            whittle.gguf.write("\(out)", {metadata=g.metadata, tensors=g.tensors, base=g})
            """)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), try Data(contentsOf: URL(fileURLWithPath: fixture(name))), name)
        }
    }

    func testEditedMetadataKeepsOrderAndTypesOfTheBase() throws {
        let out = try tempDir() + "/edited.gguf"
        let code = """
        local g = whittle.gguf.open("\(fixture("whittle_written.gguf"))")
        g.metadata["general.name"] = "renamed"
        g.metadata["whittle.count"] = 9
        g.metadata["whittle.flag"] = nil
        g.metadata["whittle.added"] = "new"
        whittle.gguf.write("\(out)", {metadata=g.metadata, tensors=g.tensors, base=g})
        local h = whittle.gguf.open("\(out)")
        return table.concat(h.keys, ","), h.metadata["general.name"], h.types["whittle.count"], h.metadata["whittle.count"], #h.info
        """
        XCTAssertEqual(try eval(code), ["general.architecture,general.name,whittle.count,whittle.scale,whittle.ids,whittle.words,whittle.big,whittle.precise,whittle.added",
                                        "renamed", "u32", "9", "12"].joined(separator: "\t"))
    }

    func testWriteNewFileWithTypesAndQuantizedTensors() throws {
        let out = try tempDir() + "/new.gguf"
        let code = """
        local g = whittle.gguf.open("\(fixture("gguf_all_types.gguf"))")
        whittle.gguf.write("\(out)", {
          metadata = {["general.architecture"]="llama", ["llama.context_length"]=2048, ["x.scale"]=0.5,
                      ["x.names"]={"a","b"}, ["x.big"]=5, ["general.alignment"]=64},
          types = {["llama.context_length"]="u32", ["x.big"]="u64"},
          tensors = {w=whittle.tensor{{1,2},{3,4}}, q=g.tensors["q8_0.weight"]},
        })
        local h = whittle.gguf.open("\(out)")
        return h.types["llama.context_length"], h.types["x.scale"], h.types["x.names"], h.types["x.big"], h.types["general.architecture"],
               h.alignment, table.concat(h.keys, ","), h.info[1].name, h.tensors.q.dtype, h.tensors.w:get(2, 1),
               h.info[2].offset
        """
        XCTAssertEqual(try eval(code), ["u32", "f32", "arr[str]", "u64", "str", "64",
                                        "general.alignment,general.architecture,llama.context_length,x.big,x.names,x.scale",
                                        "q", "q8_0", "3.0", "192"].joined(separator: "\t"))
    }

    func testBadWritesAreLuaErrors() throws {
        let code = """
        local function e(f) return select(2, pcall(f)) end
        return e(function() whittle.gguf.write("x.gguf", {metadata={k=function() end}}) end),
               e(function() whittle.gguf.write("x.gguf", {metadata={k=300}, types={k="u8"}}) end),
               e(function() whittle.gguf.write("x.gguf", {tensors={a=1}}) end),
               e(function() whittle.gguf.write("x.gguf", {tensor={}}) end),
               e(function() whittle.gguf.open("missing.gguf") end)
        """
        XCTAssertEqual(try eval(code), [
            "test:2: gguf.write: metadata 'k': cannot store a function (or an empty table) without a type in 'types'",
            "test:3: gguf.write: metadata 'k': 300 does not fit in u8",
            "test:4: gguf.write: tensors['a'] must be a Tensor, got number",
            "test:5: gguf.write: unknown option 'tensor' (known: base, metadata, tensors, types)",
            "test:6: gguf.open: cannot open 'missing.gguf': No such file or directory",
        ].joined(separator: "\t"))
    }

    func testIMatrixLoadMeansAccumulateAndSave() throws {
        let dir = try tempDir()
        let code = """
        local im = whittle.imatrix.load("\(fixture("imatrix_small.gguf"))")
        local m = im:means("blk.0.ffn_up_exps.weight")
        local e = im:entry("blk.0.attn_k.weight")
        im:save("\(dir)/copy.gguf")
        im:save("\(dir)/copy.dat")
        local fresh = whittle.imatrix.new{chunk_size=4, datasets={"calib.txt"}}
        fresh:accumulate("w", whittle.tensor{{1, 2}, {3, -1}})
        fresh:set{chunk_count=1}
        fresh:save("\(dir)/fresh.gguf")
        local back = whittle.imatrix.load("\(dir)/fresh.gguf")
        return #im, im.chunk_size, im.datasets[1], tostring(m.shape), m:get(2, 1), e.counts[1], e.sums.shape[1],
               table.concat(im:names(), ","), tostring(back.chunk_count), tostring(back:means("w")), im:means("nope") == nil
        """
        XCTAssertEqual(try eval(code), ["4", "64", "calib.txt", "(3, 32)", "1.0", "128", "576",
                                        "blk.0.attn_k.weight,blk.0.ffn_down.weight,blk.0.ffn_up_exps.weight,blk.29.ffn_up.weight",
                                        "1", "tensor([5.0000, 2.5000], shape=(2,), dtype=f32)", "true"].joined(separator: "\t"))
        for (a, b) in [("copy.gguf", "imatrix_small.gguf"), ("copy.dat", "imatrix_small.dat")] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + a)), try Data(contentsOf: URL(fileURLWithPath: fixture(b))), a)
        }
    }
}
