/* The shim's settings: the FAULTPROF_* variables read once from the
 * environment at start, into fp_config.  A value out of range is ignored
 * with one warning line; the setting keeps its default. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp.h"

struct fp_config fp_config = {
    .depth = 64, .rusage_every = 64, .buffer_bytes = 64 * 1024,
    .flush_ns = 1000ull * 1000 * 1000, .follow = true,
};

static unsigned long env_ulong(const char *name, unsigned long def, unsigned long lo,
                               unsigned long hi)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return def;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fp_warn("ignoring %s=%s (expected a number from %lu to %lu)", name, s, lo, hi);
        return def;
    }
    return v;
}

void fp_settings_read(void)
{
    fp_config.depth = (unsigned)env_ulong("FAULTPROF_DEPTH", 64, 0, FP_MAX_DEPTH);
    fp_config.rusage_every = (unsigned)env_ulong("FAULTPROF_RUSAGE_EVERY", 64, 0, 1u << 30);
    fp_config.buffer_bytes = env_ulong("FAULTPROF_BUFFER_KB", 64, 16, 64 * 1024) * 1024;
    fp_config.flush_ns = env_ulong("FAULTPROF_FLUSH_MS", 1000, 1, 3600u * 1000) * 1000000ull;
    fp_config.sample_bytes = env_ulong("FAULTPROF_SAMPLE_BYTES", 0, 0, 1ul << 40);
    const char *f = getenv("FAULTPROF_FOLLOW");
    fp_config.follow = !(f && strcmp(f, "0") == 0);
}
