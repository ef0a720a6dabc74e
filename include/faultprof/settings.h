/* The FAULTPROF_* settings, listed once.  The shim reads them from its
 * environment through this table (preload/settings.c); the launcher takes
 * its options, their range checks and the option lines of --help from it
 * (launcher/faultprof.c); tests/integration/settings_table.sh checks it
 * against man/faultprof.1.  So a range is the same everywhere, and a value
 * outside it gets the same message from both. */
#ifndef FAULTPROF_SETTINGS_H
#define FAULTPROF_SETTINGS_H

#include <errno.h>
#include <stdlib.h>

#include "faultprof/trace.h"

/* what a row holds */
enum fp_setting_kind {
    FP_SET_NUMBER,   /* a whole number from min to max; the option takes N */
    FP_SET_SWITCH,   /* on unless the variable is "0"; the option turns it off */
    FP_SET_TEXT,     /* a string; the option takes it */
};

#define FP_OUTPUT_DEFAULT "faultprof.%e.%p.gz"

/* X(field, variable, option, short option (0: none), kind, default, min,
 * max, meaning).  A number's default, min and max fit in 64 bits; a
 * switch's default is 1 (on).  One setting's default depends on another:
 * the fault period is 1024, not 64, in sampled mode (preload/faults.c). */
#define FP_SETTINGS(X)                                                              \
    X(output, "FAULTPROF_OUTPUT", "output", 'o', FP_SET_TEXT, 0, 0, 0,              \
      "trace file template: %p pid, %e program name, %% a % (default "              \
      FP_OUTPUT_DEFAULT ")")                                                        \
    X(follow, "FAULTPROF_FOLLOW", "no-follow", 0, FP_SET_SWITCH, 1, 0, 1,           \
      "do not trace programs that PROGRAM executes")                                \
    X(depth, "FAULTPROF_DEPTH", "depth", 'd', FP_SET_NUMBER, 64, 0, FP_MAX_DEPTH,   \
      "stack frames per event (0: none)")                                           \
    X(rusage_every, "FAULTPROF_RUSAGE_EVERY", "rusage-every", 0, FP_SET_NUMBER,     \
      64, 0, 1ull << 30,                                                            \
      "fault counters every N intercepted calls (0: only at thread and process end)") \
    X(buffer_kb, "FAULTPROF_BUFFER_KB", "buffer-kb", 0, FP_SET_NUMBER,              \
      64, 16, 64 * 1024, "per-thread record buffer in KiB")                        \
    X(flush_ms, "FAULTPROF_FLUSH_MS", "flush-ms", 0, FP_SET_NUMBER,                 \
      1000, 1, 3600 * 1000, "write buffered records older than N ms")              \
    X(sample_bytes, "FAULTPROF_SAMPLE_BYTES", "sample-bytes", 0, FP_SET_NUMBER,     \
      0, 0, 1ull << 40, "sample one allocation per N bytes (0: all)")              \
    X(fault_period, "FAULTPROF_FAULT_PERIOD", "fault-period", 0, FP_SET_NUMBER,     \
      64, 1, 1ull << 30, "sample one page fault in N (1024 by default with "       \
      "--sample-bytes)")                                                            \
    X(faults, "FAULTPROF_FAULTS", "no-faults", 0, FP_SET_SWITCH, 1, 0, 1,           \
      "no page-fault sampling")                                                     \
    X(recording, "FAULTPROF_RECORDING", "paused", 0, FP_SET_SWITCH, 1, 0, 1,        \
      "start with recording paused (faultprof --toggle PID starts it)")             \
    X(toggle_signal, "FAULTPROF_TOGGLE_SIGNAL", "toggle-signal", 0, FP_SET_NUMBER,  \
      0, 0, 64, "the signal that pauses and resumes recording (0: SIGRTMAX)")

struct fp_setting {
    const char *var, *option;
    int short_option;
    enum fp_setting_kind kind;
    unsigned long long def, min, max;
    const char *meaning;
};

/* static const struct fp_setting rows[] = { FP_SETTINGS(FP_SETTING_ROW) }; */
#define FP_SETTING_ROW(field, var, opt, sh, kind, def, min, max, meaning) \
    { var, opt, sh, kind, def, min, max, meaning },
/* FP_SETTING_<field>: a row's index */
#define FP_SETTING_INDEX(field, ...) FP_SETTING_##field,
enum { FP_SETTINGS(FP_SETTING_INDEX) FP_SETTINGS_COUNT };

/* The message for a number out of range or not a number, after the
 * variable or the option: both sides print it with the row's min and max. */
#define FP_SETTING_RANGE_MSG "expected a whole number from %llu to %llu"

/* A number setting's value: decimal digits only, from min to max.  Returns
 * 0 and stores it, or -1.  errno is kept. */
static inline int fp_setting_number(const struct fp_setting *s, const char *text,
                                    unsigned long long *out)
{
    int e = errno;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    int bad = text[0] < '0' || text[0] > '9' || *end != '\0' || errno == ERANGE ||
              v < s->min || v > s->max;
    errno = e;
    if (bad)
        return -1;
    *out = v;
    return 0;
}

#endif /* FAULTPROF_SETTINGS_H */
