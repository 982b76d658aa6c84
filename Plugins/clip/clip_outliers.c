/*
 * Whittle native plugin in plain C: outlier clipping.
 *
 * For each target tensor, computes the mean m and standard deviation s of its
 * values and clamps every value into [m - k s, m + k s]. Clipping the few
 * extreme weights first shrinks the range a later quantizer has to cover, so
 * its step gets finer for all the others (the reason percentile/MSE observers
 * beat min-max ones).
 *
 * Build:  make            (or: cc -O2 -shared -fPIC -I../../Sources/WhittlePluginABI/include \
 *                                 -o libwhittle_clip.so clip_outliers.c -lm)
 * Use:    whittle run --plugin Plugins/clip/libwhittle_clip.so recipe.lua
 *         whittle.clip.outliers(model, {k = 3, targets = "*.weight"})
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "whittle_plugin.h"

WHITTLE_PLUGIN_DEFINE_ABI_VERSION()

/* Kept from init: the host guarantees it stays valid. */
static const whittle_host_api *host;

/* Clips one tensor; reports its bounds and how many values were clipped. */
static int32_t clip_tensor(whittle_ctx *run, const whittle_tensor_info *t) {
    double k;
    int32_t rc = host->option_number(run, t->name, "k", &k);  /* per-target overrides apply */
    if (rc != WHITTLE_OK) return rc;
    size_t n = (size_t)t->numel;
    if (n == 0) return WHITTLE_OK;
    float *w = malloc(n * sizeof(float));
    if (!w) return host->set_error(run, WHITTLE_ERR_FAILED, "out of memory");
    rc = host->read_tensor(run, t->name, w, n);
    if (rc != WHITTLE_OK) { free(w); return rc; }

    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) sum += w[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) sq += (w[i] - mean) * (w[i] - mean);
    double sd = sqrt(sq / (double)n);
    float lo = (float)(mean - k * sd), hi = (float)(mean + k * sd);
    size_t clipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] < lo) { w[i] = lo; clipped++; }
        else if (w[i] > hi) { w[i] = hi; clipped++; }
    }
    rc = host->write_tensor(run, t->name, w, n);
    free(w);
    if (rc != WHITTLE_OK) return rc;
    host->report_number(run, t->name, "k", k);
    host->report_number(run, t->name, "low", lo);
    host->report_number(run, t->name, "high", hi);
    host->report_number(run, t->name, "clipped", (double)clipped);
    host->report_number(run, t->name, "fraction", (double)clipped / (double)n);
    return WHITTLE_OK;
}

static int32_t clip_apply(whittle_ctx *run, void *user_data) {
    (void)user_data;
    size_t count = 0;
    int32_t rc = host->select_targets(run, &count);
    size_t total = 0;
    for (size_t i = 0; rc == WHITTLE_OK && i < count; i++) {
        whittle_tensor_info t;
        rc = host->target_info(run, i, &t);
        if (rc == WHITTLE_OK) rc = clip_tensor(run, &t);
        if (rc == WHITTLE_OK) total += (size_t)t.numel;
    }
    if (rc == WHITTLE_OK) {
        char line[96];
        snprintf(line, sizeof line, "clipped %zu tensors (%zu values examined)", count, total);
        host->log(run, line);
    }
    return rc;
}

int32_t whittle_plugin_init(const whittle_host_api *api) {
    static const whittle_param_def params[] = {
        { .name = "k", .type = WHITTLE_PARAM_NUMBER,
          .flags = WHITTLE_PARAM_HAS_DEFAULT | WHITTLE_PARAM_HAS_MIN | WHITTLE_PARAM_MIN_EXCLUSIVE,
          .default_number = 3.0, .min = 0.0,
          .doc = "Clip to mean +- k standard deviations of each tensor." },
    };
    const whittle_pass_def def = {
        .name = "clip.outliers",
        .doc = "Clamps each tensor's values to mean +- k std (shrinks the range a quantizer must cover).",
        .params = params,
        .param_count = sizeof params / sizeof params[0],
        .apply = clip_apply,
        .default_targets = "*.weight",
    };
    host = api;
    return api->register_pass(api->plugin, &def);
}
