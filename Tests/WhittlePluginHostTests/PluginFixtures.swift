import Foundation
import WhittleNN
import XCTest

/// Builds tiny C plugins with the system compiler, and finds the repository's files.
enum PluginFixtures {
    /// The repository root, from this file's location (works in any clone).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var includeDirectory: String { root.appendingPathComponent("Sources/WhittlePluginABI/include").path }

    /// LeNet-300-100 as bundled.
    static func lenet300() throws -> Model { try Model.load(root.appendingPathComponent("Models/lenet300.safetensors").path) }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    /// Compiles C `source` (or the file at `file`) into `dir/name` as a shared library; returns its path.
    static func compile(_ source: String? = nil, file: String? = nil, name: String, in dir: String) throws -> String {
        let input: String
        if let file { input = file } else {
            input = dir + "/" + name + ".c"
            try (source ?? "").write(toFile: input, atomically: true, encoding: .utf8)
        }
        let output = dir + "/" + name
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cc", "-shared", "-fPIC", "-O1", "-Wall", "-I", includeDirectory, "-o", output, input, "-lm"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CompileError(message: "cc failed for \(name): \(message)") }
        return output
    }

    struct CompileError: Error { let message: String }

    /// A plugin registering one pass `passName` that multiplies its targets by option `factor`.
    static func scalePlugin(_ passName: String, extraInit: String = "") -> String {
        """
        #include <stdlib.h>
        #include "whittle_plugin.h"
        WHITTLE_PLUGIN_DEFINE_ABI_VERSION()
        static const whittle_host_api *host;
        static int32_t scale(whittle_ctx *run, void *user) {
            size_t n = 0; int32_t rc = host->select_targets(run, &n);
            for (size_t i = 0; rc == WHITTLE_OK && i < n; i++) {
                whittle_tensor_info t; double f;
                if ((rc = host->target_info(run, i, &t)) != WHITTLE_OK) break;
                if ((rc = host->option_number(run, t.name, "factor", &f)) != WHITTLE_OK) break;
                float *w = malloc(t.numel * sizeof(float));
                rc = host->read_tensor(run, t.name, w, t.numel);
                for (int64_t k = 0; rc == WHITTLE_OK && k < t.numel; k++) w[k] *= (float)f;
                if (rc == WHITTLE_OK) rc = host->write_tensor(run, t.name, w, t.numel);
                free(w);
                if (rc == WHITTLE_OK) rc = host->report_number(run, t.name, "factor", f);
            }
            return rc;
        }
        int32_t whittle_plugin_init(const whittle_host_api *api) {
            static const whittle_param_def params[] = {
                { .name = "factor", .type = WHITTLE_PARAM_NUMBER, .flags = WHITTLE_PARAM_HAS_DEFAULT | WHITTLE_PARAM_HAS_MIN,
                  .default_number = 2, .min = 0, .doc = "multiplier" },
            };
            whittle_pass_def def = { .name = "\(passName)", .doc = "Scales weights.", .params = params, .param_count = 1, .apply = scale };
            host = api;
            int32_t rc = api->register_pass(api->plugin, &def);
            if (rc != WHITTLE_OK) return rc;
            \(extraInit)
            return WHITTLE_OK;
        }
        """
    }
}
