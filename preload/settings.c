/* The shim's settings: every FAULTPROF_* row of include/faultprof/settings.h
 * read once from the environment at start, into fp_config.  A value the
 * table refuses is ignored with one warning line; the setting keeps its
 * default. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fp.h"
#include "faultprof/settings.h"

static const struct fp_setting settings[] = { FP_SETTINGS(FP_SETTING_ROW) };

static char output[PATH_MAX] = FP_OUTPUT_DEFAULT;

/* the defaults hold before the constructor runs (a malloc that comes first) */
#define DEFAULT(field) settings_default_##field
#define SETTING_DEFAULT(field, var, opt, sh, kind, def, ...) DEFAULT(field) = def,
enum { FP_SETTINGS(SETTING_DEFAULT) };

struct fp_config fp_config = {
    .depth = DEFAULT(depth), .rusage_every = DEFAULT(rusage_every),
    .buffer_bytes = (size_t)DEFAULT(buffer_kb) * 1024,
    .flush_ns = DEFAULT(flush_ms) * 1000000ull, .follow = DEFAULT(follow),
    .sample_bytes = DEFAULT(sample_bytes), .faults = DEFAULT(faults), .output = output,
};

/* A number setting: its value, its default when unset or refused.
 * *given: it was set to a value the table takes. */
static unsigned long long number(int row, bool *given)
{
    const struct fp_setting *s = &settings[row];
    const char *text = getenv(s->var);
    unsigned long long v = s->def;
    bool ok = false;
    if (text && *text) {
        ok = fp_setting_number(s, text, &v) == 0;
        if (!ok) {
            fp_warn("ignoring %s=%s: " FP_SETTING_RANGE_MSG "; using the default",
                    s->var, text, s->min, s->max);
            v = s->def;
        }
    }
    if (given)
        *given = ok;
    return v;
}

/* A switch: on unless its variable is "0". */
static bool on(int row)
{
    const char *text = getenv(settings[row].var);
    return !(text && strcmp(text, "0") == 0);
}

void fp_settings_read(void)
{
    fp_config.depth = (unsigned)number(FP_SETTING_depth, NULL);
    fp_config.rusage_every = (unsigned)number(FP_SETTING_rusage_every, NULL);
    fp_config.buffer_bytes = (size_t)number(FP_SETTING_buffer_kb, NULL) * 1024;
    fp_config.flush_ns = number(FP_SETTING_flush_ms, NULL) * 1000000ull;
    fp_config.sample_bytes = number(FP_SETTING_sample_bytes, NULL);
    /* the fault period's default depends on the mode: 0 leaves it to
     * faults.c, which knows whether sampled mode could start */
    bool given;
    uint64_t period = number(FP_SETTING_fault_period, &given);
    fp_config.fault_period = given ? period : 0;
    fp_config.follow = on(FP_SETTING_follow);
    fp_config.faults = on(FP_SETTING_faults);
    const char *text = getenv(settings[FP_SETTING_output].var);
    if (text && *text) {
        size_t n = strnlen(text, sizeof(output) - 1);
        memcpy(output, text, n);
        output[n] = 0;
    }
}
