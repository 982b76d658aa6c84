import Foundation
import WhittleNN
import WhittlePasses
import WhittlePluginHost
import XCTest

/// The host API as a plugin sees it: options of every type with overrides,
/// tensor listing, replacement with a new shape and dtype, metadata, reports,
/// and errors coming back as code + message with the model restored.
final class HostAPITests: XCTestCase {
    private static let source = #"""
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include "whittle_plugin.h"
    WHITTLE_PLUGIN_DEFINE_ABI_VERSION()
    static const whittle_host_api *host;
    static int32_t probe(whittle_ctx *run, void *user) {
        double factor; int64_t steps; int32_t flag; const char *mode, *note; size_t n, count;
        int32_t rc;
        if ((rc = host->option_number(run, NULL, "factor", &factor))) return rc;
        if ((rc = host->option_integer(run, NULL, "steps", &steps))) return rc;
        if ((rc = host->option_bool(run, NULL, "flag", &flag))) return rc;
        if ((rc = host->option_string(run, NULL, "mode", &mode))) return rc;
        host->report_number(run, NULL, "factor", factor);
        host->report_number(run, NULL, "steps", (double)steps);
        host->report_string(run, NULL, "mode", mode);
        host->report_string(run, NULL, "user", (const char *)user);
        host->report_number(run, NULL, "note_missing", host->option_string(run, NULL, "note", &note) == WHITTLE_ERR_NOT_FOUND);
        host->report_number(run, NULL, "type_error", host->option_bool(run, NULL, "mode", &flag) == WHITTLE_ERR_TYPE);
        host->report_number(run, NULL, "register_refused", host->register_pass(run, NULL) == WHITTLE_ERR_STATE);
        if ((rc = host->tensor_count(run, &count))) return rc;
        host->report_number(run, NULL, "tensors", (double)count);
        if (strcmp(mode, "fail") == 0) {
            /* writes zeros into the first tensor, then fails: the host must undo the write */
            whittle_tensor_info t;
            host->tensor_info(run, 0, &t);
            float *all = (float *)calloc((size_t)t.numel, sizeof(float));
            host->write_tensor(run, t.name, all, (size_t)t.numel);
            free(all);
            return host->set_error(run, WHITTLE_ERR_FAILED, "mode 'fail' asked for it");
        }
        if (strcmp(mode, "badread") == 0) {
            float one;
            return host->read_tensor(run, "1.weight", &one, 1);  /* wrong count: propagate the host's message */
        }
        if ((rc = host->select_targets(run, &n))) return rc;
        for (size_t i = 0; i < n; i++) {
            whittle_tensor_info t; double f;
            if ((rc = host->target_info(run, i, &t))) return rc;
            if ((rc = host->option_number(run, t.name, "factor", &f))) return rc;
            char shape[64];
            snprintf(shape, sizeof shape, "%lldx%lld", (long long)t.shape[0], t.ndim > 1 ? (long long)t.shape[1] : 0LL);
            host->report_string(run, t.name, "shape", shape);
            host->report_number(run, t.name, "factor", f);
        }
        if (flag) {
            /* 5.bias (10 floats) becomes i8 data of shape 2x3 */
            int8_t data[6] = {-3, -2, -1, 1, 2, 127};
            int64_t shape[2] = {2, 3};
            if ((rc = host->replace_tensor(run, "5.bias", WHITTLE_DTYPE_I8, shape, 2, data, sizeof data))) return rc;
            if (host->replace_tensor(run, "5.bias", WHITTLE_DTYPE_I8, shape, 2, data, 5) != WHITTLE_ERR_INVALID_ARGUMENT) return 99;
            if ((rc = host->set_metadata(run, "probe.note", "replaced"))) return rc;
        }
        host->log(run, "probe done");
        return WHITTLE_OK;
    }
    int32_t whittle_plugin_init(const whittle_host_api *api) {
        static const whittle_param_def params[] = {
            { .name = "factor", .type = WHITTLE_PARAM_NUMBER, .flags = WHITTLE_PARAM_HAS_DEFAULT | WHITTLE_PARAM_HAS_MIN | WHITTLE_PARAM_MIN_EXCLUSIVE,
              .default_number = 1.5, .min = 0, .doc = "a number" },
            { .name = "steps", .type = WHITTLE_PARAM_INTEGER, .flags = WHITTLE_PARAM_HAS_DEFAULT | WHITTLE_PARAM_HAS_MAX,
              .default_number = 3, .max = 10, .doc = "an integer" },
            { .name = "flag", .type = WHITTLE_PARAM_BOOL, .flags = WHITTLE_PARAM_HAS_DEFAULT, .doc = "a flag" },
            { .name = "mode", .type = WHITTLE_PARAM_STRING, .default_string = "plain", .choices = "plain, fail, badread", .doc = "a choice" },
            { .name = "note", .type = WHITTLE_PARAM_STRING, .flags = WHITTLE_PARAM_OPTIONAL, .doc = "optional" },
        };
        whittle_pass_def def = { .name = "test.probe", .doc = "Exercises the host API.", .params = params,
            .param_count = 5, .apply = probe, .user_data = "user-pointer", .default_targets = "*.weight, 1.bias" };
        host = api;
        if (api->abi_version != WHITTLE_PLUGIN_ABI_VERSION || api->struct_size != sizeof(whittle_host_api)) return 1;
        if (api->tensor_count(api->plugin, NULL) != WHITTLE_ERR_STATE) return 2;
        api->log(api->plugin, "registering");
        return api->register_pass(api->plugin, &def);
    }
    """#

    private var dir = ""
    private var registry = PassRegistry()
    private var log: [String] = []

    override func setUpWithError() throws {
        dir = try PluginFixtures.temporaryDirectory()
        let path = try PluginFixtures.compile(HostAPITests.source, name: "probe.so", in: dir)
        registry = PassRegistry()
        log = []
        XCTAssertEqual(try NativePlugins.load(path, into: registry) { [unowned self] in self.log.append($0) }, ["test.probe"])
        XCTAssertEqual(log, ["plugin '\(path)': registering"])
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func value(_ pairs: [(String, PassValue)], _ key: String) -> String? { pairs.first { $0.0 == key }.map { "\($0.1)" } }

    func testSchemaIsCopiedFromTheDefinition() throws {
        let p = try registry.pass(named: "test.probe")
        XCTAssertEqual(p.doc, "Exercises the host API.")
        XCTAssertEqual(p.params.map(\.name), ["factor", "steps", "flag", "mode", "note"])
        XCTAssertEqual(p.params.map(\.type), [.number, .integer, .bool, .string, .string])
        XCTAssertEqual(p.params[0].rangeText, "(0, inf]")
        XCTAssertEqual(p.params[1].rangeText, "[-inf, 10]")
        XCTAssertEqual(p.params[3].choices, ["plain", "fail", "badread"])
        XCTAssertTrue(p.params[4].optional)
        XCTAssertFalse(p.params[4].required)
    }

    func testOptionsDefaultsReportsAndOverrides() throws {
        let model = try PluginFixtures.lenet300()
        var lines: [String] = []
        let report = try registry.run("test.probe", on: model, options: ["steps": .number(7), "overrides": .table(["3.*": .table(["factor": .number(4)])])],
                                      context: PassContext(log: { lines.append($0) }))
        XCTAssertEqual(value(report.summary, "factor"), "1.5")
        XCTAssertEqual(value(report.summary, "steps"), "7")
        XCTAssertEqual(value(report.summary, "mode"), "\"plain\"")
        XCTAssertEqual(value(report.summary, "user"), "\"user-pointer\"")
        XCTAssertEqual(value(report.summary, "note_missing"), "1")
        XCTAssertEqual(value(report.summary, "type_error"), "1")
        XCTAssertEqual(value(report.summary, "register_refused"), "1")
        XCTAssertEqual(value(report.summary, "tensors"), "6")
        XCTAssertEqual(report.rows.map(\.target), ["1.weight", "1.bias", "3.weight", "5.weight"])
        XCTAssertEqual(report.rows.map { value($0.values, "shape") }, ["\"300x784\"", "\"300x0\"", "\"100x300\"", "\"10x100\""])
        XCTAssertEqual(report.rows.map { value($0.values, "factor") }, ["1.5", "1.5", "4", "1.5"])
        XCTAssertEqual(lines, ["test.probe: probe done"])
    }

    func testOptionsAreValidatedBeforeThePluginRuns() throws {
        let model = try PluginFixtures.lenet300()
        XCTAssertThrowsError(try registry.run("test.probe", on: model, options: ["steps": .number(11)])) {
            XCTAssertEqual("\($0)", "test.probe: 'steps' must be in [-inf, 10], got 11")
        }
        XCTAssertThrowsError(try registry.run("test.probe", on: model, options: ["mode": .string("loud")])) {
            XCTAssertEqual("\($0)", "test.probe: 'mode' must be one of \"plain\", \"fail\", \"badread\", got \"loud\"")
        }
        XCTAssertThrowsError(try registry.run("test.probe", on: model, options: ["targets": .string("fc*")])) {
            XCTAssertEqual("\($0)", "test.probe: target 'fc*' matches no parameter (parameters: 1.weight, 1.bias, 3.weight, 3.bias, 5.weight, 5.bias)")
        }
    }

    func testReplaceWithNewShapeAndDtypeAndMetadata() throws {
        let model = try PluginFixtures.lenet300()
        _ = try registry.run("test.probe", on: model, options: ["flag": .bool(true)])
        let bias = try XCTUnwrap(model.parameter(named: "5.bias"))
        XCTAssertEqual(bias.value.shape, [2, 3])
        XCTAssertEqual(bias.value.dtype, .f32)
        XCTAssertEqual(bias.value.toArray(), [-3, -2, -1, 1, 2, 127])
        XCTAssertEqual(bias.grad.shape, [2, 3])
        XCTAssertEqual(model.metadata["probe.note"], "replaced")
    }

    func testPluginErrorRestoresTheModel() throws {
        let model = try PluginFixtures.lenet300()
        let before = try XCTUnwrap(model.parameter(named: "1.weight")).value.toArray()
        XCTAssertThrowsError(try registry.run("test.probe", on: model, options: ["mode": .string("fail")])) {
            XCTAssertEqual($0 as? PassError, .failed(pass: "test.probe", message: "mode 'fail' asked for it"))
        }
        XCTAssertEqual(try XCTUnwrap(model.parameter(named: "1.weight")).value.toArray(), before)
    }

    func testHostCallFailurePropagatesItsMessage() throws {
        let model = try PluginFixtures.lenet300()
        XCTAssertThrowsError(try registry.run("test.probe", on: model, options: ["mode": .string("badread")])) {
            XCTAssertEqual("\($0)", "test.probe: read_tensor: '1.weight' has 235200 elements, the buffer 1")
        }
    }
}
