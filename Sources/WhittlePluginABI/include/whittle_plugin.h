/*
 * whittle_plugin.h -- the C ABI of Whittle native plugins.
 *
 * A native plugin is a shared library (.so on Linux, .dylib on macOS) that adds
 * compression passes to Whittle without rebuilding it. Any language with a C ABI
 * can write one: C, Swift (@_cdecl), Rust (extern "C"), Zig...
 *
 * THE CONTRACT
 *   The library exports exactly two functions (see the end of this file):
 *
 *     uint32_t whittle_plugin_abi_version(void);
 *         Returns WHITTLE_PLUGIN_ABI_VERSION as the plugin saw it when compiled.
 *         WHITTLE_PLUGIN_DEFINE_ABI_VERSION() writes it for you. The host refuses
 *         a plugin whose version differs from its own, naming both, before it
 *         calls anything else in the library.
 *
 *     int32_t whittle_plugin_init(const whittle_host_api *api);
 *         Called once per load, right after the version check. Register passes
 *         with api->register_pass(api->plugin, &def). Return WHITTLE_OK, or an
 *         error code after api->set_error(api->plugin, code, "why"): the load
 *         then fails, every pass this plugin registered is removed again, and
 *         the host carries on with its other plugins.
 *
 *   The host calls a pass's apply callback when the pass runs:
 *
 *     int32_t apply(whittle_ctx *run, void *user_data);
 *
 *   `run` is valid only until apply returns; `user_data` is the pointer given in
 *   the pass definition. Options have already been validated against the pass's
 *   parameter schema (types, ranges, choices, defaults filled in), so apply can
 *   read them without checking again. Return WHITTLE_OK, or an error code: the
 *   host then restores the model exactly as it was before the pass and reports
 *   "<pass name>: <message>" to the user, where the message is the one given to
 *   set_error, else the message of the last host call that failed.
 *
 * ERRORS
 *   Every host function returns a status code (WHITTLE_OK = 0) and never
 *   unwinds, longjmps or aborts; a plugin must not either (no C++ exception or
 *   Swift trap may escape apply or init). A failing host call also records a
 *   message, readable with api->error_message(ctx), so a plugin can simply
 *   return the code it got.
 *
 * MEMORY AND LIFETIME
 *   - The api struct and api->plugin stay valid for the life of the process:
 *     keep the pointer. The host never unloads a plugin library.
 *   - Strings handed to the host are copied; strings handed to the plugin
 *     (tensor names, string options) stay valid until apply returns.
 *   - Tensor data is copied in and out with read_tensor / write_tensor, so the
 *     plugin owns its buffers and the host owns the model.
 *
 * THREADS
 *   A host calls init and apply from one thread at a time. apply may use its
 *   own threads internally but must call host functions from the calling one.
 *
 * TENSORS
 *   A model's tensors are its parameters, named by dotted paths ("0.weight",
 *   "fc1.bias"), in model order. Parameters are held as f32. Values written to
 *   a parameter that carries a pruning mask are masked again (pruned entries
 *   stay zero).
 *
 * A MINIMAL PLUGIN (C)
 *
 *   #include "whittle_plugin.h"
 *   WHITTLE_PLUGIN_DEFINE_ABI_VERSION()
 *   static const whittle_host_api *host;
 *
 *   static int32_t scale(whittle_ctx *run, void *user) {
 *       double f; size_t n;
 *       int32_t rc = host->option_number(run, NULL, "factor", &f);
 *       if (rc == WHITTLE_OK) rc = host->select_targets(run, &n);
 *       for (size_t i = 0; rc == WHITTLE_OK && i < n; i++) {
 *           whittle_tensor_info t;
 *           if ((rc = host->target_info(run, i, &t)) != WHITTLE_OK) break;
 *           float *w = malloc(t.numel * sizeof(float));
 *           if (!w) return host->set_error(run, WHITTLE_ERR_FAILED, "out of memory");
 *           rc = host->read_tensor(run, t.name, w, t.numel);
 *           for (int64_t k = 0; rc == WHITTLE_OK && k < t.numel; k++) w[k] *= (float)f;
 *           if (rc == WHITTLE_OK) rc = host->write_tensor(run, t.name, w, t.numel);
 *           free(w);
 *       }
 *       return rc;
 *   }
 *
 *   int32_t whittle_plugin_init(const whittle_host_api *api) {
 *       static const whittle_param_def params[] = {
 *           { .name = "factor", .type = WHITTLE_PARAM_NUMBER, .flags = WHITTLE_PARAM_HAS_DEFAULT,
 *             .default_number = 0.5, .doc = "Multiplier applied to every weight." },
 *       };
 *       whittle_pass_def def = { .name = "demo.scale", .doc = "Scales weights.",
 *           .params = params, .param_count = 1, .apply = scale };
 *       host = api;
 *       return api->register_pass(api->plugin, &def);
 *   }
 *
 *   Build:  cc -shared -fPIC -I<whittle>/Sources/WhittlePluginABI/include -o demo.so demo.c
 *   Load:   whittle run --plugin demo.so recipe.lua    or    whittle.load_plugin("demo.so")
 *   Use:    whittle.demo.scale(model, {factor = 0.9, targets = "*.weight"})
 */
#ifndef WHITTLE_PLUGIN_H
#define WHITTLE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. Any change to a struct layout or a
 * function's meaning increments it; the host loads only its own version. */
#define WHITTLE_PLUGIN_ABI_VERSION 1u

/* ---- status codes (int32_t) ------------------------------------------------ */

#define WHITTLE_OK 0
/* A NULL pointer, a malformed pass definition, a buffer of the wrong size. */
#define WHITTLE_ERR_INVALID_ARGUMENT 1
/* No tensor, option or target of that name or index. */
#define WHITTLE_ERR_NOT_FOUND 2
/* An option read as the wrong type, or an unsupported dtype. */
#define WHITTLE_ERR_TYPE 3
/* register_pass: a pass of that name already exists (built-in or plugin). */
#define WHITTLE_ERR_DUPLICATE 4
/* A function called at the wrong time: register_pass outside init, model
 * access outside apply. */
#define WHITTLE_ERR_STATE 5
/* A target glob matched no tensor of the model. */
#define WHITTLE_ERR_TARGET 6
/* Anything else the plugin wants to report (use it with set_error). */
#define WHITTLE_ERR_FAILED 7

/* ---- element types (int32_t); the same ids as Whittle's DType ------------- */

#define WHITTLE_DTYPE_F32 0
#define WHITTLE_DTYPE_F16 1
#define WHITTLE_DTYPE_BF16 2
#define WHITTLE_DTYPE_I8 3
#define WHITTLE_DTYPE_U8 4
#define WHITTLE_DTYPE_I32 5
#define WHITTLE_DTYPE_I64 6
#define WHITTLE_DTYPE_F64 7
#define WHITTLE_DTYPE_BOOL 8

/* Most dimensions a tensor can have. */
#define WHITTLE_MAX_DIMS 8

/* ---- pass parameter schema -------------------------------------------------- */

/* Parameter types (int32_t). */
#define WHITTLE_PARAM_NUMBER 0   /* a double */
#define WHITTLE_PARAM_INTEGER 1  /* an int64_t; the user may write 3 or 3.0 */
#define WHITTLE_PARAM_STRING 2   /* one string, optionally one of `choices` */
#define WHITTLE_PARAM_BOOL 3     /* true/false */
#define WHITTLE_PARAM_STRINGS 4  /* a string or a list of strings (read back comma-joined) */

/* whittle_param_def.flags bits. */
#define WHITTLE_PARAM_HAS_DEFAULT 1u    /* default_number (or default_string) applies when absent */
#define WHITTLE_PARAM_HAS_MIN 2u        /* numbers: value >= min */
#define WHITTLE_PARAM_HAS_MAX 4u        /* numbers: value <= max */
#define WHITTLE_PARAM_MIN_EXCLUSIVE 8u  /* with HAS_MIN: value > min */
#define WHITTLE_PARAM_MAX_EXCLUSIVE 16u /* with HAS_MAX: value < max */
#define WHITTLE_PARAM_OPTIONAL 32u      /* may be absent without a default (reads give NOT_FOUND) */

/* One option of a pass. An option without HAS_DEFAULT or OPTIONAL is required:
 * the host refuses to run the pass without it. The host checks the default
 * against the type, range and choices when the pass is registered. Every pass
 * also accepts the common options `targets` (globs) and `overrides`
 * (per-target option tables); do not declare them. */
typedef struct whittle_param_def {
    const char *name;           /* option name, e.g. "k" */
    int32_t type;               /* WHITTLE_PARAM_* type */
    uint32_t flags;             /* WHITTLE_PARAM_* flag bits */
    double default_number;      /* default of NUMBER, INTEGER and BOOL (non-zero = true) */
    const char *default_string; /* default of STRING (STRINGS: comma-separated); a non-NULL value implies HAS_DEFAULT */
    double min;                 /* lower bound with HAS_MIN */
    double max;                 /* upper bound with HAS_MAX */
    const char *choices;        /* STRING: comma-separated allowed values, or NULL for any */
    const char *doc;            /* one line shown by `whittle passes NAME` */
} whittle_param_def;

/* ---- passes ------------------------------------------------------------------ */

/* Opaque host context: api->plugin during init, a run during apply. */
typedef struct whittle_ctx whittle_ctx;

/* A pass body; see "THE CONTRACT" above. */
typedef int32_t (*whittle_apply_fn)(whittle_ctx *run, void *user_data);

/* A pass to register. The host copies everything except user_data. */
typedef struct whittle_pass_def {
    const char *name;                /* dotted lower-case name, e.g. "clip.outliers" ([a-z0-9_] segments) */
    const char *doc;                 /* one line saying what it does */
    const whittle_param_def *params; /* the option schema (may be NULL when param_count is 0) */
    size_t param_count;
    whittle_apply_fn apply;
    void *user_data;                 /* passed back to apply untouched */
    const char *default_targets;     /* comma-separated globs used when the user gives no `targets`; NULL = "*.weight" */
} whittle_pass_def;

/* What the host tells about one tensor. */
typedef struct whittle_tensor_info {
    const char *name;                 /* dotted path, valid until apply returns */
    int32_t dtype;                    /* WHITTLE_DTYPE_* (parameters are f32) */
    int32_t ndim;                     /* number of dimensions, <= WHITTLE_MAX_DIMS */
    int64_t shape[WHITTLE_MAX_DIMS];  /* extents; entries past ndim are 0 */
    int64_t numel;                    /* product of the extents */
} whittle_tensor_info;

/* ---- the host API ------------------------------------------------------------ */

/* Everything the host offers, passed to whittle_plugin_init. Members are only
 * ever appended; struct_size tells how many exist. */
typedef struct whittle_host_api {
    uint32_t abi_version;        /* the host's WHITTLE_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(whittle_host_api) in the host */
    whittle_ctx *plugin;         /* this load's context: pass it to register_pass, log and set_error in init */
    const char *plugin_path;     /* the path the library was loaded from */

    /* -- registration (init only) -- */

    /* Registers a pass. INVALID_ARGUMENT for a bad name, a missing doc or apply,
     * a bad parameter or default; DUPLICATE when the name is taken. A failed
     * registration also fails the plugin's load with the same message. */
    int32_t (*register_pass)(whittle_ctx *plugin, const whittle_pass_def *def);

    /* -- the model's tensors (apply only) -- */

    /* Number of tensors (parameters) of the model. */
    int32_t (*tensor_count)(whittle_ctx *run, size_t *count);
    /* The index-th tensor (0-based, model order). */
    int32_t (*tensor_info)(whittle_ctx *run, size_t index, whittle_tensor_info *info);
    /* The tensor called `name`; NOT_FOUND when there is none. */
    int32_t (*find_tensor)(whittle_ctx *run, const char *name, whittle_tensor_info *info);
    /* Selects the tensors the pass acts on: the user's `targets` globs, else the
     * pass's default_targets. TARGET when a glob matches nothing. */
    int32_t (*select_targets)(whittle_ctx *run, size_t *count);
    /* The index-th selected target (after select_targets). */
    int32_t (*target_info)(whittle_ctx *run, size_t index, whittle_tensor_info *info);
    /* Copies the tensor's values as f32 into dst; count must equal numel. */
    int32_t (*read_tensor)(whittle_ctx *run, const char *name, float *dst, size_t count);
    /* Overwrites the tensor's values from src (same shape); count must equal numel. */
    int32_t (*write_tensor)(whittle_ctx *run, const char *name, const float *src, size_t count);
    /* Replaces the tensor with new data of any shape and dtype (nbytes =
     * numel(shape) x dtype size). The host stores parameters as f32, converting
     * exactly from integer and half types; a new shape drops the tensor's mask.
     * The layer must accept the new shape (the next forward says if not). */
    int32_t (*replace_tensor)(whittle_ctx *run, const char *name, int32_t dtype,
                              const int64_t *shape, int32_t ndim, const void *data, size_t nbytes);
    /* Sets a string in the model's metadata (saved in the file's __metadata__). */
    int32_t (*set_metadata)(whittle_ctx *run, const char *key, const char *value);

    /* -- options (apply only). `target` NULL reads the pass-level value; a tensor
     * name reads it with the user's `overrides` for that tensor applied.
     * NOT_FOUND for an OPTIONAL option that was not given or an unknown name;
     * TYPE when the option has another type. -- */

    int32_t (*option_number)(whittle_ctx *run, const char *target, const char *name, double *out);
    int32_t (*option_integer)(whittle_ctx *run, const char *target, const char *name, int64_t *out);
    int32_t (*option_bool)(whittle_ctx *run, const char *target, const char *name, int32_t *out);
    /* *out stays valid until apply returns; STRINGS options come comma-joined. */
    int32_t (*option_string)(whittle_ctx *run, const char *target, const char *name, const char **out);

    /* -- results (apply only). A row per target, in first-report order; a NULL
     * target adds to the pass's summary line instead. -- */

    int32_t (*report_number)(whittle_ctx *run, const char *target, const char *key, double value);
    int32_t (*report_string)(whittle_ctx *run, const char *target, const char *key, const char *value);

    /* -- logging and errors (any context) -- */

    /* A line for the user (stderr in the CLI), prefixed with the pass or plugin. */
    void (*log)(whittle_ctx *ctx, const char *message);
    /* Records `message` as the error of this init or apply; returns `code`, so
     * `return api->set_error(run, WHITTLE_ERR_FAILED, "why");` reads naturally. */
    int32_t (*set_error)(whittle_ctx *ctx, int32_t code, const char *message);
    /* The message of the last failed host call or set_error ("" when none). */
    const char *(*error_message)(whittle_ctx *ctx);
} whittle_host_api;

/* ---- the plugin's exports ---------------------------------------------------- */

#if defined(_WIN32)
#define WHITTLE_PLUGIN_EXPORT __declspec(dllexport)
#else
#define WHITTLE_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* The two symbols the host looks up (C linkage, default visibility). */
WHITTLE_PLUGIN_EXPORT uint32_t whittle_plugin_abi_version(void);
WHITTLE_PLUGIN_EXPORT int32_t whittle_plugin_init(const whittle_host_api *api);

/* Defines whittle_plugin_abi_version() with the version of this header. */
#define WHITTLE_PLUGIN_DEFINE_ABI_VERSION() \
    WHITTLE_PLUGIN_EXPORT uint32_t whittle_plugin_abi_version(void) { return WHITTLE_PLUGIN_ABI_VERSION; }

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_PLUGIN_H */
