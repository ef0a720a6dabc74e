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

/* Attached to a running process (inject.c), the settings come from the
 * injector as "NAME=VALUE" lines, not from the program's environment. */
static const char *attach_settings;

void fp_settings_from(const char *lines)
{
    attach_settings = lines;
}

/* A setting's text: the injector's line for it, else the environment. */
const char *fp_setting_env(const char *name)
{
    if (!attach_settings)
        return getenv(name);
    size_t n = strlen(name);
    for (const char *l = attach_settings; *l; ) {
        const char *end = strchr(l, '\n');
        if (!end)
            end = l + strlen(l);
        if ((size_t)(end - l) > n && !memcmp(l, name, n) && l[n] == '=') {
            static char vals[FP_SETTINGS_COUNT + 2][PATH_MAX];
            static int next;
            char *v = vals[next++ % (FP_SETTINGS_COUNT + 2)];
            size_t len = (size_t)(end - l) - n - 1;
            if (len >= PATH_MAX)
                len = PATH_MAX - 1;
            memcpy(v, l + n + 1, len);
            v[len] = 0;
            return v;
        }
        l = *end ? end + 1 : end;
    }
    return NULL;
}

/* the defaults hold before the constructor runs (a malloc that comes first) */
#define DEFAULT(field) settings_default_##field
#define SETTING_DEFAULT(field, var, opt, sh, kind, def, ...) DEFAULT(field) = def,
enum { FP_SETTINGS(SETTING_DEFAULT) };

struct fp_config fp_config = {
    .depth = DEFAULT(depth), .rusage_every = DEFAULT(rusage_every),
    .buffer_bytes = (size_t)DEFAULT(buffer_kb) * 1024,
    .flush_ns = DEFAULT(flush_ms) * 1000000ull, .follow = DEFAULT(follow),
    .sample_bytes = DEFAULT(sample_bytes), .faults = DEFAULT(faults), .output = output,
    .recording = DEFAULT(recording),
};

/* A number setting: its value, its default when unset or refused.
 * *given: it was set to a value the table takes. */
static unsigned long long number(int row, bool *given)
{
    const struct fp_setting *s = &settings[row];
    const char *text = fp_setting_env(s->var);
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
    const char *text = fp_setting_env(settings[row].var);
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
    fp_config.recording = on(FP_SETTING_recording);
    fp_config.toggle_signal = (int)number(FP_SETTING_toggle_signal, NULL);
    const char *text = fp_setting_env(settings[FP_SETTING_output].var);
    if (text && *text) {
        size_t n = strnlen(text, sizeof(output) - 1);
        memcpy(output, text, n);
        output[n] = 0;
    }
}
