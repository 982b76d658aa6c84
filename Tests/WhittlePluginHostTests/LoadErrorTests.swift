import Foundation
import WhittleNN
import WhittlePasses
import WhittlePluginHost
import XCTest

/// Every way a native plugin can fail to load, with the exact message; the
/// registry stays usable and holds nothing of the failed plugin.
final class LoadErrorTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws { dir = try PluginFixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func loadError(_ path: String, into registry: PassRegistry = PassRegistry()) -> String? {
        do {
            _ = try NativePlugins.load(path, into: registry)
            return nil
        } catch {
            XCTAssertTrue(error is PluginError, "\(error)")
            return String(describing: error)
        }
    }

    func testMissingFile() {
        XCTAssertEqual(loadError(dir + "/absent.so"), "plugin '\(dir)/absent.so': no such file")
    }

    func testDirectoryIsNotALibrary() {
        XCTAssertEqual(loadError(dir), "plugin '\(dir)': is a directory")
    }

    func testNotASharedLibrary() throws {
        let path = dir + "/text.so"
        try "this is not a library\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(loadError(path), "plugin '\(path)': not a shared library")
    }

    func testMissingVersionSymbol() throws {
        let path = try PluginFixtures.compile("""
            #include "whittle_plugin.h"
            int32_t whittle_plugin_init(const whittle_host_api *api) { (void)api; return 0; }
            """, name: "noversion.so", in: dir)
        XCTAssertEqual(loadError(path), "plugin '\(path)': missing entry symbol 'whittle_plugin_abi_version'")
    }

    func testMissingInitSymbol() throws {
        let path = try PluginFixtures.compile("""
            #include "whittle_plugin.h"
            WHITTLE_PLUGIN_DEFINE_ABI_VERSION()
            """, name: "noinit.so", in: dir)
        XCTAssertEqual(loadError(path), "plugin '\(path)': missing entry symbol 'whittle_plugin_init'")
    }

    func testOlderABIVersionNamesBothVersions() throws {
        // Built as against an older header: its version function returns 0, and init must never run.
        let path = try PluginFixtures.compile("""
            #include <stdlib.h>
            #include "whittle_plugin.h"
            uint32_t whittle_plugin_abi_version(void) { return 0; }
            int32_t whittle_plugin_init(const whittle_host_api *api) { (void)api; abort(); }
            """, name: "old.so", in: dir)
        XCTAssertEqual(NativePlugins.abiVersion, 1)
        XCTAssertEqual(loadError(path), "plugin '\(path)': built for plugin ABI version 0, but this host supports version 1")
    }

    func testNewerABIVersionIsRefusedToo() throws {
        let path = try PluginFixtures.compile("""
            #include <stdlib.h>
            #include "whittle_plugin.h"
            uint32_t whittle_plugin_abi_version(void) { return WHITTLE_PLUGIN_ABI_VERSION + 1; }
            int32_t whittle_plugin_init(const whittle_host_api *api) { (void)api; abort(); }
            """, name: "new.so", in: dir)
        XCTAssertEqual(loadError(path), "plugin '\(path)': built for plugin ABI version 2, but this host supports version 1")
    }

    func testInitFailureCarriesThePluginsMessage() throws {
        let path = try PluginFixtures.compile("""
            #include "whittle_plugin.h"
            WHITTLE_PLUGIN_DEFINE_ABI_VERSION()
            int32_t whittle_plugin_init(const whittle_host_api *api) {
                return api->set_error(api->plugin, WHITTLE_ERR_FAILED, "needs a GPU");
            }
            """, name: "initfails.so", in: dir)
        XCTAssertEqual(loadError(path), "plugin '\(path)': whittle_plugin_init failed with code 7 (WHITTLE_ERR_FAILED): needs a GPU")
    }

    func testInitFailureWithoutMessage() throws {
        let path = try PluginFixtures.compile("""
            #include "whittle_plugin.h"
            WHITTLE_PLUGIN_DEFINE_ABI_VERSION()
            int32_t whittle_plugin_init(const whittle_host_api *api) { (void)api; return 42; }
            """, name: "initcode.so", in: dir)
        XCTAssertEqual(loadError(path), "plugin '\(path)': whittle_plugin_init failed with code 42 (unknown code)")
    }

    func testDuplicatePassNameFailsTheSecondPluginAndKeepsTheFirst() throws {
        let registry = PassRegistry()
        let first = try PluginFixtures.compile(PluginFixtures.scalePlugin("test.scale"), name: "first.so", in: dir)
        XCTAssertEqual(try NativePlugins.load(first, into: registry), ["test.scale"])
        // The second registers "test.other" first, then the taken name: the load fails and undoes both.
        let second = try PluginFixtures.compile(PluginFixtures.scalePlugin("test.other", extraInit: """
            whittle_pass_def dup = def; dup.name = "test.scale";
            return api->register_pass(api->plugin, &dup);
            """), name: "second.so", in: dir)
        XCTAssertEqual(loadError(second, into: registry), "plugin '\(second)': a pass named 'test.scale' is already registered (native:\(first))")
        XCTAssertEqual(registry.all.map(\.name), ["test.scale"])
        XCTAssertEqual(try registry.pass(named: "test.scale").source, .native(path: first))
    }

    func testDuplicateOfABuiltinName() throws {
        final class Builtin: Pass {
            let name = "prune.magnitude", doc = "stand-in", params: [PassParam] = [], source = PassSource.builtin
            func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport { PassReport(pass: name) }
        }
        let registry = PassRegistry([Builtin()])
        let path = try PluginFixtures.compile(PluginFixtures.scalePlugin("prune.magnitude"), name: "dup.so", in: dir)
        XCTAssertEqual(loadError(path, into: registry), "plugin '\(path)': a pass named 'prune.magnitude' is already registered (builtin)")
        XCTAssertEqual(registry.all.count, 1)
    }

    func testInvalidDefinitionsAreLoadErrors() throws {
        let cases: [(String, String)] = [
            ("{ .name = \"Bad Name\", .doc = \"d\", .apply = ap }",
             "invalid pass name 'Bad Name' (use dotted lower-case words: [a-z_][a-z0-9_]* separated by '.')"),
            ("{ .name = \"t.nodoc\", .apply = ap }", "pass 't.nodoc': doc is missing"),
            ("{ .name = \"t.noapply\", .doc = \"d\" }", "pass 't.noapply': apply is NULL"),
            ("{ .name = \"t.range\", .doc = \"d\", .apply = ap, .params = bad_default, .param_count = 1 }",
             "pass 't.range': default of 'k' is invalid: t.range: 'k' must be in [0, 1], got 5"),
            ("{ .name = \"t.targets\", .doc = \"d\", .apply = ap, .params = common, .param_count = 1 }",
             "pass 't.targets': parameter 'targets': 'targets' is a common option every pass has; do not declare it"),
        ]
        for (k, (def, message)) in cases.enumerated() {
            let path = try PluginFixtures.compile("""
                #include "whittle_plugin.h"
                WHITTLE_PLUGIN_DEFINE_ABI_VERSION()
                static int32_t ap(whittle_ctx *run, void *u) { (void)run; (void)u; return 0; }
                static const whittle_param_def bad_default[] = {{ .name = "k", .type = WHITTLE_PARAM_NUMBER, .doc = "k",
                    .flags = WHITTLE_PARAM_HAS_DEFAULT | WHITTLE_PARAM_HAS_MIN | WHITTLE_PARAM_HAS_MAX, .default_number = 5, .min = 0, .max = 1 }};
                static const whittle_param_def common[] = {{ .name = "targets", .type = WHITTLE_PARAM_STRINGS, .doc = "t" }};
                int32_t whittle_plugin_init(const whittle_host_api *api) {
                    (void)bad_default; (void)common;
                    whittle_pass_def def = \(def);
                    return api->register_pass(api->plugin, &def);
                }
                """, name: "def\(k).so", in: dir)
            XCTAssertEqual(loadError(path), "plugin '\(path)': \(message)")
        }
    }

    func testLoadingTheSameFileTwiceIsANoOp() throws {
        let registry = PassRegistry()
        let path = try PluginFixtures.compile(PluginFixtures.scalePlugin("test.once"), name: "once.so", in: dir)
        XCTAssertEqual(try NativePlugins.load(path, into: registry), ["test.once"])
        XCTAssertEqual(try NativePlugins.load(dir + "/../" + URL(fileURLWithPath: dir).lastPathComponent + "/once.so", into: registry), ["test.once"])
        XCTAssertEqual(registry.all.count, 1)
    }
}
